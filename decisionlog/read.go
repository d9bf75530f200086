package decisionlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// MaxLine is the longest line ReadJSONL accepts as an entry; longer lines
// are skipped as bad.
const MaxLine = 4 << 20

// ReadJSONL reads one entry per line and calls fn for each, in order.
// Lines that are not an entry (blank lines excepted) are skipped and
// counted; the error is for failed reads only.
func ReadJSONL(r io.Reader, fn func(Entry)) (bad int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var long bool
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !long {
				line = append(line, chunk...)
				if len(line) > MaxLine {
					long, line = true, line[:0]
				}
			}
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return bad, err
		}
		if !long {
			line = append(line, chunk...)
			if len(line) > MaxLine {
				long = true
			}
		}
		if long {
			bad++
		} else if l := bytes.TrimSpace(line); len(l) > 0 {
			if e, ok := decodeLine(l); ok {
				fn(e)
			} else {
				bad++
			}
		}
		long, line = false, line[:0]
		if err != nil { // io.EOF
			return bad, nil
		}
	}
}

// decodeLine decodes one entry; it must be an object with an id, a form
// and a time.
func decodeLine(l []byte) (Entry, bool) {
	if l[0] != '{' {
		return Entry{}, false
	}
	var e Entry
	if err := json.Unmarshal(l, &e); err != nil || e.ID == "" || e.Form == "" || e.Time.IsZero() {
		return Entry{}, false
	}
	if e.Violated == nil {
		e.Violated = []Violation{}
	}
	return e, true
}
