package decisionlog

import "errors"

// ErrBadEntry marks bytes that are not a decision log entry.
var ErrBadEntry = errors.New("decisionlog: not an entry")

// AppendJSON appends e as one JSON document, the same a FileSink writes as
// a line: a sink that keeps entries elsewhere (a database) stores this.
func AppendJSON(b []byte, e *Entry) []byte { return appendEntry(b, e) }

// ParseJSON reads an entry written by AppendJSON.
func ParseJSON(b []byte) (Entry, error) {
	if len(b) == 0 {
		return Entry{}, ErrBadEntry
	}
	e, ok := decodeLine(b)
	if !ok {
		return Entry{}, ErrBadEntry
	}
	return e, nil
}
