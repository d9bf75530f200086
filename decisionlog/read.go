package decisionlog

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MaxLine is the longest line ReadJSONL decodes as an entry. Entries are
// bounded far below it (Limits); a longer line, written by an older
// version, is reported as unreadable with the fields that come before
// its figures.
const MaxLine = 4 << 20

// salvageHead is how much of an over-long line is kept to read its
// leading fields from.
const salvageHead = 64 << 10

// Unreadable describes a stored record a reader could not read in full.
// Readers return it, on an Entry holding what could be read, instead of
// skipping the record: a hidden attempt must at least be visible.
type Unreadable struct {
	// Where is the record's place: "file:line" or "stream id".
	Where string `json:"where"`
	Bytes int64  `json:"bytes"`
	// Digest is the sha256 of the record, to match it with a copy.
	Digest string `json:"digest"`
	Reason string `json:"reason"`
}

// ReadJSONL reads one entry per line and calls fn for each, in order. A
// line that is not an entry (blank lines excepted) is given to fn as an
// Entry with Unreadable set, where names the source ("file:line" is
// made of it) and bad counts them; the error is for failed reads only.
func ReadJSONL(r io.Reader, where string, fn func(Entry)) (bad int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		line []byte
		size int64
		long bool
		h    hash.Hash
		no   int
	)
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
		case err != nil && !errors.Is(err, io.EOF):
			return bad, err
		}
		size += int64(len(chunk))
		if !long && len(line)+len(chunk) > MaxLine {
			// From here on only the head is kept, and the whole is hashed.
			long, h = true, sha256.New()
			h.Write(line)
			line = line[:min(len(line), salvageHead)]
		}
		if long {
			h.Write(chunk)
		} else {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		no++
		if long {
			e := salvage(line)
			e.Unreadable = &Unreadable{
				Where: where + ":" + strconv.Itoa(no), Bytes: size, Digest: hex.EncodeToString(h.Sum(nil)),
				Reason: fmt.Sprintf("a line of %d bytes, over the reader's limit of %d", size, MaxLine),
			}
			fn(e)
			bad++
		} else if l := bytes.TrimSpace(line); len(l) > 0 {
			if e, derr := decodeLine(l); derr == nil {
				fn(e)
			} else {
				fn(unreadable(l, where+":"+strconv.Itoa(no), derr))
				bad++
			}
		}
		line, size, long, h = line[:0], 0, false, nil
		if err != nil { // io.EOF
			return bad, nil
		}
	}
}

// unreadable is the entry a reader returns for a record it cannot decode.
func unreadable(rec []byte, where string, err error) Entry {
	e := salvage(rec)
	sum := sha256.Sum256(rec)
	e.Unreadable = &Unreadable{Where: where, Bytes: int64(len(rec)), Digest: hex.EncodeToString(sum[:]), Reason: err.Error()}
	return e
}

var (
	errNotObject  = errors.New("not a JSON object")
	errIncomplete = errors.New("an entry needs an id, a form and a time")
)

// decodeLine decodes one entry; it must be an object with an id, a form
// and a time. Figures keep their numbers as written (json.Number), so
// that an entry replayed from the spill is the entry that was spilled.
func decodeLine(l []byte) (Entry, error) {
	if len(l) == 0 || l[0] != '{' {
		return Entry{}, errNotObject
	}
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(l))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, err
	}
	if dec.More() {
		return Entry{}, errors.New("data after the entry")
	}
	if e.ID == "" || e.Form == "" || e.Time.IsZero() {
		return Entry{}, errIncomplete
	}
	if e.Violated == nil {
		e.Violated = []Violation{}
	}
	e.Unreadable = nil // only a reader sets it
	return e, nil
}

// salvage reads the fields of an entry that come before its figures (the
// writers put them first), stopping at the first thing it cannot read:
// a record cut short or too long still says whose attempt it was.
func salvage(rec []byte) Entry {
	e := Entry{Violated: []Violation{}}
	dec := jsontext.NewDecoder(bytes.NewReader(rec))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return e
	}
	for {
		tok, err := dec.ReadToken()
		if err != nil || tok.Kind() != '"' {
			return e
		}
		var dst any
		switch tok.String() {
		case "id":
			dst = &e.ID
		case "check_id":
			dst = &e.CheckID
		case "time":
			dst = &e.Time
		case "source":
			dst = &e.Source
		case "form":
			dst = &e.Form
		case "unit":
			dst = &e.Unit
		case "period":
			dst = &e.Period
		case "ruleset":
			dst = &e.Ruleset
		case "submission":
			dst = &e.Submission
		case "verdict":
			dst = &e.Verdict
		case "violated":
			dst = &e.Violated
		case "skipped":
			dst = &e.Skipped
		default:
			return e // the figures and what follows them
		}
		if err := jsonv2.UnmarshalDecode(dec, dst); err != nil {
			if t, ok := dst.(*time.Time); ok {
				*t = time.Time{}
			}
			return e
		}
	}
}
