package checker

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"

	"github.com/figcheck/figcheck/rules"
)

// SubmissionDigest is a sha256 over a canonical encoding of s: the same
// figures give the same digest whatever the order of the keys.
func SubmissionDigest(s *Submission) [32]byte {
	h := sha256.New()
	buf := make([]byte, 0, 256)
	buf = appendString(buf, s.Form)
	buf = appendString(buf, s.Unit)
	buf = appendString(buf, s.Period)
	for _, m := range []map[string]any{s.Figures, s.Previous} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf = binary.AppendUvarint(buf, uint64(len(keys)))
		for _, k := range keys {
			buf = appendString(buf, k)
			buf = appendValue(buf, m[k])
			if len(buf) > 4096 {
				h.Write(buf)
				buf = buf[:0]
			}
		}
	}
	keys := make([]string, 0, len(s.Explanations))
	for k := range s.Explanations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = appendString(buf, k)
		buf = appendString(buf, s.Explanations[k])
	}
	buf = appendString(buf, s.Text)
	h.Write(buf)
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// CheckID identifies a check of a submission against a form version: the
// same submission checked by the same rules always gets the same id.
func CheckID(f *rules.Form, submission [32]byte) string {
	h := sha256.New()
	h.Write([]byte(f.Digest))
	h.Write(submission[:])
	var d [32]byte
	return hex.EncodeToString(h.Sum(d[:0])[:16])
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendValue encodes a value with a type tag, so that 12 and "12" differ.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'z')
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(x))
	case int:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(float64(x)))
	case string:
		return appendString(append(b, 's'), x)
	case json.Number:
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
