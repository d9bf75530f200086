package checker

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends r as encoding/json encodes it with HTML escaping off
// (json.Encoder.SetEscapeHTML(false), without the newline), byte for byte,
// without reflection for what a result is made of. Figures of other kinds
// than strings, numbers, booleans and null go through encoding/json. ok is
// false, with b unchanged, when encoding/json would fail (a NaN or an
// infinite figure).
func (r *Result) AppendJSON(b []byte) (_ []byte, ok bool) {
	n := len(b)
	e := jsonAppender{b: b, ok: true}
	e.raw(`{"check_id":`)
	e.str(r.CheckID)
	e.raw(`,"form":`)
	e.str(r.Form)
	e.raw(`,"unit":`)
	e.str(r.Unit)
	e.raw(`,"period":`)
	e.str(r.Period)
	e.raw(`,"ruleset":`)
	e.str(r.Ruleset)
	e.raw(`,"verdict":`)
	e.str(r.Verdict)
	sm := &r.Summary
	for i, c := range [...]struct {
		name string
		n    int
	}{{"rules", sm.Rules}, {"evaluated", sm.Evaluated}, {"passed", sm.Passed}, {"errors", sm.Errors},
		{"warnings", sm.Warnings}, {"infos", sm.Infos}, {"skipped", sm.Skipped}, {"explained", sm.Explained}, {"eval_errors", sm.EvalErrors}} {
		if i == 0 {
			e.raw(`,"summary":{"`)
		} else {
			e.raw(`,"`)
		}
		e.raw(c.name)
		e.raw(`":`)
		e.b = strconv.AppendInt(e.b, int64(c.n), 10)
	}
	e.raw(`},"violations":`)
	appendList(&e, r.Violations, func(v *Violation) {
		e.raw(`{"rule":`)
		e.str(v.Rule)
		e.raw(`,"name":`)
		e.str(v.Name)
		e.raw(`,"severity":`)
		e.str(v.Severity.String())
		e.raw(`,"message":`)
		e.str(v.Message)
		e.raw(`,"fields":`)
		e.fields(v.Fields)
		if v.Explained {
			e.raw(`,"explained":true`)
		}
		if v.Explanation != "" {
			e.raw(`,"explanation":`)
			e.str(v.Explanation)
		}
		e.raw(`}`)
	})
	e.raw(`,"skipped":`)
	appendList(&e, r.Skipped, func(s *Skip) {
		e.raw(`{"rule":`)
		e.str(s.Rule)
		e.raw(`,"name":`)
		e.str(s.Name)
		e.raw(`,"reason":`)
		e.str(s.Reason)
		if len(s.Missing) > 0 {
			e.raw(`,"missing":`)
			e.strs(s.Missing)
		}
		if len(s.Invalid) > 0 {
			e.raw(`,"invalid":`)
			e.strs(s.Invalid)
		}
		e.raw(`}`)
	})
	e.raw(`,"eval_errors":`)
	appendList(&e, r.EvalErrors, func(x *EvalError) {
		e.raw(`{"rule":`)
		e.str(x.Rule)
		e.raw(`,"name":`)
		e.str(x.Name)
		e.raw(`,"severity":`)
		e.str(x.Severity.String())
		e.raw(`,"error":`)
		e.str(x.Error)
		e.raw(`,"fields":`)
		e.fields(x.Fields)
		e.raw(`}`)
	})
	e.raw(`}`)
	if !e.ok {
		return e.b[:n], false
	}
	return e.b, true
}

// jsonAppender appends JSON as encoding/json writes it, HTML escaping off.
type jsonAppender struct {
	b  []byte
	ok bool // false once a value could not be encoded
}

func (e *jsonAppender) raw(s string) { e.b = append(e.b, s...) }

// appendList appends a slice as an array (nil as null), each element with
// elem.
func appendList[T any](e *jsonAppender, xs []T, elem func(*T)) {
	if xs == nil {
		e.raw("null")
		return
	}
	e.raw("[")
	for i := range xs {
		if i > 0 {
			e.raw(",")
		}
		elem(&xs[i])
	}
	e.raw("]")
}

func (e *jsonAppender) strs(xs []string) {
	appendList(e, xs, func(s *string) { e.str(*s) })
}

// fields appends a map of figures: keys sorted, as encoding/json does.
func (e *jsonAppender) fields(m map[string]any) {
	if m == nil {
		e.raw("null")
		return
	}
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.raw("{")
	for i, k := range keys {
		if i > 0 {
			e.raw(",")
		}
		e.str(k)
		e.raw(":")
		e.value(m[k])
	}
	e.raw("}")
}

func (e *jsonAppender) value(v any) {
	switch x := v.(type) {
	case nil:
		e.raw("null")
	case string:
		e.str(x)
	case bool:
		e.b = strconv.AppendBool(e.b, x)
	case float64:
		e.float(x)
	case int:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case json.Number: // as written; "" is 0, as encoding/json has it
		switch {
		case x == "":
			e.raw("0")
		case validNumber(string(x)):
			e.raw(string(x))
		default:
			e.ok = false
		}
	default: // objects, arrays and whatever else: encoding/json's own
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			e.ok = false
			return
		}
		e.b = append(e.b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
	}
}

// float is encoding/json's float64: ES6 number formatting.
func (e *jsonAppender) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		e.ok = false
		return
	}
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(e.b, f, format, -1, 64)
	if format == 'e' { // e-09 is e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	e.b = b
}

// validNumber reports whether s is a JSON number, as encoding/json checks
// a json.Number before writing it.
func validNumber(s string) bool {
	digits := func(s string) string {
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
		return s
	}
	if s == "" {
		return false
	}
	if s[0] == '-' {
		if s = s[1:]; s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = digits(s[1:])
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = digits(s[2:])
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			if s = s[1:]; s == "" {
				return false
			}
		}
		s = digits(s)
	}
	return s == ""
}

const hexDigits = "0123456789abcdef"

// str is encoding/json's string: ", \ and control characters escaped,
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func (e *jsonAppender) str(s string) {
	b := append(e.b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
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
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	e.b = append(b, '"')
}
