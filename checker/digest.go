package checker

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"sync"

	"github.com/figcheck/figcheck/rules"
)

// digestScratch is the working space of one SubmissionDigest, pooled: a
// digest is computed for every request and would otherwise allocate its
// buffer and key slices each time.
type digestScratch struct {
	buf  []byte
	keys []string
}

var digestPool = sync.Pool{New: func() any { return &digestScratch{buf: make([]byte, 0, 4096)} }}

// SubmissionDigest is a sha256 over a canonical encoding of s: the same
// figures give the same digest whatever the order of the keys.
func SubmissionDigest(s *Submission) [32]byte { return submissionDigest(nil, s) }

// SubmissionDigestFor is SubmissionDigest for a submission of form f,
// faster when the figures are keyed by indicator id (as clients send them
// and the shipped forms' ids are): the form knows its ids in sorted order,
// so those keys need no sorting.
func SubmissionDigestFor(f *rules.Form, s *Submission) [32]byte {
	p := Place(f, s)
	defer p.Release()
	return p.Digest()
}

// submissionDigest is the digest of s; p, when not nil, is s placed, whose
// objects of figures keyed by ids only are encoded in the form's id order
// (the sorted order of their keys) without a lookup or a sort.
func submissionDigest(p *Placed, s *Submission) [32]byte {
	sc := digestPool.Get().(*digestScratch)
	buf := sc.buf[:0]
	buf = appendString(buf, s.Form)
	buf = appendString(buf, s.Unit)
	buf = appendString(buf, s.Period)
	for i, m := range []map[string]any{s.Figures, s.Previous} {
		buf = binary.AppendUvarint(buf, uint64(len(m)))
		if p != nil {
			pl := &p.cur
			if i == 1 {
				pl = &p.prev
			}
			if pl.ByIDOnly() {
				buf = appendByID(buf, p.Form, pl)
				continue
			}
		}
		keys := sortedKeys(sc.keys[:0], m)
		for _, k := range keys {
			buf = appendString(buf, k)
			buf = appendValue(buf, m[k])
		}
		sc.keys = keys
	}
	keys := sortedKeys(sc.keys[:0], s.Explanations)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = appendString(buf, k)
		buf = appendString(buf, s.Explanations[k])
	}
	buf = appendString(buf, s.Text)
	d := sha256.Sum256(buf)
	clear(keys) // drop references to the submission's strings
	sc.buf, sc.keys = buf, keys[:0]
	if cap(sc.buf) <= 1<<20 { // keep huge submissions' buffers out of the pool
		digestPool.Put(sc)
	}
	return d
}

// appendByID appends the keys and values of an object of figures given by
// ids only, placed in pl, in sorted key order: f's id order.
func appendByID(b []byte, f *rules.Form, pl *rules.Placement[any]) []byte {
	for _, ind := range f.IndicatorsByID() {
		if pl.Given[ind.Index] == rules.ByID {
			b = appendValue(appendString(b, ind.ID), pl.Vals[ind.Index])
		}
	}
	return b
}

func sortedKeys[V any](dst []string, m map[string]V) []string {
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst)
	return dst
}

// CheckID identifies a check of a submission against a form version: the
// same submission checked by the same rules always gets the same id.
func CheckID(f *rules.Form, submission [32]byte) string {
	var buf [128]byte // a form's digest is 64 hex digits: no allocation
	d := sha256.Sum256(append(append(buf[:0], f.Digest...), submission[:]...))
	return hex.EncodeToString(d[:16])
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFloat(b []byte, x float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(x))
}

// appendValue encodes a value with a type tag, so that 12 and "12" differ.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'z')
	case float64:
		return appendFloat(b, x)
	case int:
		return appendFloat(b, float64(x))
	case string:
		return appendString(append(b, 's'), x)
	case json.Number:
		// The number, not its spelling: 75 and 75.0 are one figure, as a
		// spreadsheet cell 75 is (numberValue).
		if f, ok := numberValue(string(x)); ok {
			return appendFloat(b, f)
		}
		return appendString(append(b, 'n'), string(x))
	case bool:
		if x {
			return append(b, 't')
		}
		return append(b, 'F')
	}
	// Objects and arrays are invalid figures; they still need a stable key.
	j, _ := json.Marshal(v)
	return appendString(append(b, 'j'), string(j))
}
