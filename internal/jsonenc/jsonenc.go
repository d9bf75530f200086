// Package jsonenc appends JSON without reflection, byte for byte as
// encoding/json writes it with HTML escaping off
// (json.Encoder.SetEscapeHTML(false)): the report and result encoders of
// checker and audit are written with it, for the documents too large to
// encode by reflection.
package jsonenc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Encoder appends JSON to B. Err keeps the first value encoding/json
// refuses (NaN, an infinity, an invalid json.Number); B is then not to be
// used.
type Encoder struct {
	B   []byte
	Err error
	// keys is scratch for sorting the keys of maps, nested ones after
	// their parents'.
	keys []string
	// text is scratch for Text.
	text []byte
	// last is the last short number Float wrote the slow way, of bits
	// lastBits (none when lastLen is 0).
	lastBits uint64
	lastLen  int
	last     [8]byte
}

// Reset empties B and forgets Err, keeping the memory.
func (e *Encoder) Reset() {
	e.B, e.Err = e.B[:0], nil
}

// Raw appends s as it is: punctuation and member names written by hand.
func (e *Encoder) Raw(s string) { e.B = append(e.B, s...) }

// Int appends an integer.
func (e *Encoder) Int(i int) { e.B = strconv.AppendInt(e.B, int64(i), 10) }

// Bool appends true or false.
func (e *Encoder) Bool(v bool) { e.B = strconv.AppendBool(e.B, v) }

// Float appends a number as encoding/json does: the shortest decimal that
// reads back as f, in exponent form below 1e-6 and from 1e21 on, with
// e-07 written e-7. NaN and infinities are not JSON: they set Err, as
// encoding/json's UnsupportedValueError.
func (e *Encoder) Float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		e.fail(&json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)})
		return
	}
	if b, ok := AppendDecimal(e.B, f); ok {
		e.B = b
		return
	}
	// The others are mostly p-values, of which a report repeats a few
	// (1e-300, the smallest it writes): the last short one is kept.
	if bits := math.Float64bits(f); bits == e.lastBits && e.lastLen > 0 {
		e.B = append(e.B, e.last[:e.lastLen]...)
		return
	}
	start := len(e.B)
	e.B = appendFloatSlow(e.B, f)
	if n := len(e.B) - start; n <= len(e.last) {
		e.lastBits, e.lastLen = math.Float64bits(f), n
		copy(e.last[:], e.B[start:])
	}
}

// AppendFloat appends a finite number as Encoder.Float writes it (the
// caller keeps NaN and infinities out).
func AppendFloat(b []byte, f float64) []byte {
	if b, ok := AppendDecimal(b, f); ok {
		return b
	}
	return appendFloatSlow(b, f)
}

// appendFloatSlow appends a finite number as encoding/json writes it, by
// strconv.
func appendFloatSlow(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// pow10 are the powers of ten AppendDecimal tries, all exact.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6}

// maxDecimalDigits bounds the digits m of the numbers m/10^k that
// AppendDecimal writes: below 2^50 the multiples of 10^-k are more than 4
// units in the last place of f apart, so the one that reads back as f is
// the only decimal of its length that does, and no shorter one does.
const maxDecimalDigits = 1 << 50

// AppendDecimal appends f as strconv's shortest 'f' format (and
// AppendFloat) writes it when f is a whole number below 2^53, or m/10^k
// for a whole m below 2^50 and k at most 6 (a figure, a rounded
// statistic), and reports whether it did: the fast way of those, without
// strconv's search for the shortest digits. m/10^k == f in floating point says that the decimal m·10^-k reads
// back as f: both are m/10^k correctly rounded, m and 10^k being exact.
func AppendDecimal(b []byte, f float64) ([]byte, bool) {
	abs := math.Abs(f)
	if f == math.Trunc(f) && abs < 1<<53 && (f != 0 || !math.Signbit(f)) {
		// A whole number, exact in an int64: the same digits.
		return strconv.AppendInt(b, int64(f), 10), true
	}
	if !(abs >= 1e-6 && abs*pow10[len(pow10)-1] < maxDecimalDigits) {
		return b, false // exponent form, -0, NaN, infinities or too many digits
	}
	for k := 1; k < len(pow10); k++ {
		m := math.Round(abs * pow10[k])
		if m/pow10[k] != abs {
			continue
		}
		if f < 0 {
			b = append(b, '-')
		}
		// m's digits with a point before the last k, zeros before them
		// as needed: m does not end in 0, else k-1 would have done.
		var digits [24]byte
		d := strconv.AppendUint(digits[:0], uint64(m), 10)
		if len(d) <= k {
			b = append(b, '0', '.')
			for range k - len(d) {
				b = append(b, '0')
			}
			return append(b, d...), true
		}
		b = append(b, d[:len(d)-k]...)
		b = append(b, '.')
		return append(b, d[len(d)-k:]...), true
	}
	return b, false
}

// Floats appends a list of numbers.
func (e *Encoder) Floats(xs []float64) { list(e, xs, (*Encoder).Float) }

// Strings appends a list of strings.
func (e *Encoder) Strings(ss []string) { list(e, ss, (*Encoder).String) }

// list appends xs as a JSON array (null for nil), each by one.
func list[T any](e *Encoder, xs []T, one func(*Encoder, T)) {
	if xs == nil {
		e.Raw("null")
		return
	}
	e.B = append(e.B, '[')
	for i, x := range xs {
		if i > 0 {
			e.B = append(e.B, ',')
		}
		one(e, x)
	}
	e.B = append(e.B, ']')
}

const hex = "0123456789abcdef"

// String appends s quoted: quotes, backslashes and control characters
// escaped (\b, \f, \n, \r, \t by name), invalid UTF-8 replaced by
// \ufffd, U+2028 and U+2029 escaped; <, > and & left as they are.
func (e *Encoder) String(s string) { e.B = appendQuoted(e.B, s) }

// AppendString appends s quoted as Encoder.String quotes it.
func AppendString(b []byte, s string) []byte { return appendQuoted(b, s) }

// Text appends, quoted as String quotes it, the text that appendText
// appends to an empty buffer: a text rendered when written, not held as a
// string. It is rendered in place, and moved to be escaped only from its
// first byte that needs it (most texts have none).
func (e *Encoder) Text(appendText func([]byte) []byte) {
	e.B = append(e.B, '"')
	start := len(e.B)
	e.B = appendText(e.B)
	i := start + plainPrefix(e.B[start:])
	if i == len(e.B) {
		e.B = append(e.B, '"')
		return
	}
	e.text = append(e.text[:0], e.B[i:]...)
	e.B = appendEscaped(e.B[:i], e.text)
}

// appendQuoted appends s quoted (see String).
func appendQuoted[S ~string | ~[]byte](b []byte, s S) []byte {
	return appendEscaped(append(b, '"'), s)
}

// plainPrefix is the length of the start of s that String writes as it
// is, up to its first byte to escape or replace.
func plainPrefix[S ~string | ~[]byte](s S) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			return i
		}
		// Three bytes led by E1–EC, EE or EF (most of the CJK characters)
		// are valid whenever the two that follow continue them; the other
		// leads have narrower ranges (E0, ED) or may be U+2028 (E2), and
		// are decoded.
		if (0xE1 <= c && c <= 0xEF && c != 0xE2 && c != 0xED) && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(len(s), i+utf8.UTFMax)])) // no copy of more than a rune
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return i
		}
		i += size
	}
	return len(s)
}

// appendEscaped appends s escaped (see String) and the closing quote.
func appendEscaped[S ~string | ~[]byte](b []byte, s S) []byte {
	for {
		i := plainPrefix(s)
		b = append(b, s[:i]...)
		if i == len(s) {
			return append(b, '"')
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			s = s[i+1:]
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(len(s), i+utf8.UTFMax)]))
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else { // U+2028 or U+2029
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		}
		s = s[i+size:]
	}
}

// Value appends a value as decoded from JSON or written in a form: nil,
// a string, a bool, a float64, a json.Number, or maps (keys sorted) and
// lists of them. Other values are encoded by encoding/json.
func (e *Encoder) Value(v any) {
	switch x := v.(type) {
	case nil:
		e.Raw("null")
	case string:
		e.String(x)
	case bool:
		e.Bool(x)
	case float64:
		e.Float(x)
	case json.Number:
		if x == "" {
			x = "0" // as encoding/json writes the zero Number
		}
		if !ValidNumber(string(x)) {
			e.fail(fmt.Errorf("json: invalid number literal %q", string(x)))
			return
		}
		e.B = append(e.B, x...)
	case map[string]any:
		e.Map(x)
	case []any:
		list(e, x, (*Encoder).Value)
	default:
		e.reflect(v)
	}
}

// Map appends a map with its keys in sorted order, as encoding/json
// does.
func (e *Encoder) Map(m map[string]any) {
	if m == nil {
		e.Raw("null")
		return
	}
	start := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	keys := e.keys[start:]
	slices.Sort(keys)
	e.B = append(e.B, '{')
	for i, k := range keys {
		if i > 0 {
			e.B = append(e.B, ',')
		}
		e.String(k)
		e.B = append(e.B, ':')
		e.Value(m[k])
	}
	e.B = append(e.B, '}')
	clear(keys)
	e.keys = e.keys[:start]
}

// reflect encodes a value of another type with encoding/json.
func (e *Encoder) reflect(v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		e.fail(err)
		return
	}
	e.B = append(e.B, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

func (e *Encoder) fail(err error) {
	if e.Err == nil {
		e.Err = err
	}
}

// ValidNumber reports whether s is a JSON number literal (encoding/json's
// grammar of one).
func ValidNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	default:
		return false
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}
