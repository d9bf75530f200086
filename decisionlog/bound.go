package decisionlog

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/figcheck/figcheck/internal/jsonenc"
)

// Limits bound what one entry may hold, so that every entry stays far
// below what a reader accepts (MaxLine) whatever a client sent. Nothing is
// dropped: what does not fit is summarised in Entry.Omitted (how many,
// the first names, a digest of all of it), and an oversized value is
// replaced by its size, first characters and digest.
type Limits struct {
	// UnknownKeys is how many figures the form does not know an entry
	// keeps as sent (default 16); beyond that all of them are summarised.
	UnknownKeys int
	// ValueBytes bounds one figure's value and one key's name, encoded
	// (default 256).
	ValueBytes int
	// ViolationsPerRule bounds the violations of one rule kept in full
	// (default 16); the rest are counted.
	ViolationsPerRule int
	// FieldsPerViolation bounds the figures listed for one violation
	// (default 32).
	FieldsPerViolation int
}

// DefaultLimits are the limits of a Log with zero Options.Limits.
var DefaultLimits = Limits{UnknownKeys: 16, ValueBytes: 256, ViolationsPerRule: 16, FieldsPerViolation: 32}

// omittedNames is how many names Omitted lists; maxKeys is how many
// figures an entry logged without Entry.Known keeps as sent.
const (
	omittedNames = 8
	maxKeys      = 1024
)

// Omitted says what Bound summarised instead of keeping.
type Omitted struct {
	// Keys counts the figures the form does not know that were left out;
	// Names are the first of them, sorted; Digest is the sha256 of all of
	// them (names and values, sorted by name).
	Keys   int      `json:"keys,omitempty"`
	Names  []string `json:"names,omitempty"`
	Digest string   `json:"digest,omitempty"`
	// Values counts figure values replaced by a summary.
	Values int `json:"values,omitempty"`
	// Violations counts violations beyond the per-rule limit, Fields the
	// figure names beyond the per-violation limit.
	Violations int `json:"violations,omitempty"`
	Fields     int `json:"fields,omitempty"`
}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	return Limits{
		UnknownKeys:        cmp.Or(l.UnknownKeys, d.UnknownKeys),
		ValueBytes:         cmp.Or(l.ValueBytes, d.ValueBytes),
		ViolationsPerRule:  cmp.Or(l.ViolationsPerRule, d.ViolationsPerRule),
		FieldsPerViolation: cmp.Or(l.FieldsPerViolation, d.FieldsPerViolation),
	}
}

// bound makes e fit the limits. It does not modify the maps and slices e
// shares with its caller: it replaces them.
func (e *Entry) bound(l Limits) {
	var o Omitted
	e.Unit, e.Period = l.shorten(e.Unit, &o), l.shorten(e.Period, &o)
	e.Actor = l.shorten(e.Actor, &o)
	e.Figures = l.figures(e.Figures, e.Known, &o)
	e.Violated = l.violations(e.Violated, &o)
	if o.Keys+o.Values+o.Violations+o.Fields > 0 {
		e.Omitted = &o
	}
}

// shorten replaces an oversized string by its summary.
func (l Limits) shorten(s string, o *Omitted) string {
	if len(s) <= l.ValueBytes {
		return s
	}
	o.Values++
	return summary(s, len(s))
}

// summary names a value that was too long: its first characters, its size
// and its digest, so that two different values never look the same.
func summary(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	head := []rune(s[:min(len(s), 48)])
	if len(head) > 0 && head[len(head)-1] == 0xFFFD {
		head = head[:len(head)-1] // a character cut in two
	}
	return string(head) + "…(" + strconv.Itoa(n) + " bytes, sha256:" + hex.EncodeToString(sum[:8]) + ")"
}

// figures keeps the figures known calls known as sent (values bounded)
// and, when there are more than UnknownKeys others or one of their names
// is too long, summarises all the others in o. Without known, every key
// counts as known while there are at most maxKeys of them.
func (l Limits) figures(m map[string]any, known func(string) bool, o *Omitted) map[string]any {
	if m == nil {
		return nil
	}
	isKnown := known
	if isKnown == nil {
		few := len(m) <= maxKeys
		isKnown = func(string) bool { return few }
	}
	// Most entries need nothing: look first, copy only when something
	// must change (the map is shared with the caller).
	nUnknown, long, big := 0, false, false
	for k, v := range m {
		if !isKnown(k) {
			nUnknown++
			long = long || len(k) > l.ValueBytes
		}
		big = big || l.oversized(v)
	}
	summarise := long || nUnknown > l.UnknownKeys
	if !summarise && !big {
		return m
	}
	out := make(map[string]any, len(m))
	unknown := make([]string, 0, nUnknown)
	for k, v := range m {
		if !isKnown(k) {
			unknown = append(unknown, k)
			if summarise {
				continue
			}
		}
		out[k] = l.value(v, o)
	}
	if summarise {
		slices.Sort(unknown)
		h := sha256.New()
		var buf []byte
		for _, k := range unknown {
			buf = appendValue(jsonenc.AppendString(buf[:0], k), m[k])
			h.Write(buf)
		}
		names := unknown[:min(len(unknown), omittedNames)]
		o.Names = make([]string, len(names))
		for i, k := range names {
			o.Names[i] = l.shortenName(k)
		}
		o.Keys, o.Digest = len(unknown), hex.EncodeToString(h.Sum(nil))
	}
	return out
}

func (l Limits) shortenName(k string) string {
	if len(k) <= l.ValueBytes {
		return k
	}
	return summary(k, len(k))
}

// oversized reports whether value would summarise v.
func (l Limits) oversized(v any) bool {
	switch x := v.(type) {
	case nil, bool, float64, int, int64:
		return false
	case json.Number:
		return len(x) > l.ValueBytes
	case string:
		return len(x) > l.ValueBytes
	}
	return len(appendValue(nil, v)) > l.ValueBytes
}

// value returns v, or its summary when it encodes to more than ValueBytes.
func (l Limits) value(v any, o *Omitted) any {
	switch x := v.(type) {
	case nil, bool, float64, int, int64:
		return v
	case json.Number:
		if len(x) <= l.ValueBytes {
			return v
		}
		o.Values++
		return summary(string(x), len(x))
	case string:
		if len(x) <= l.ValueBytes {
			return v
		}
		o.Values++
		return summary(x, len(x))
	}
	b := appendValue(nil, v)
	if len(b) <= l.ValueBytes {
		return v
	}
	o.Values++
	return summary(string(b), len(b))
}

func (l Limits) violations(vs []Violation, o *Omitted) []Violation {
	var perRule map[string]int // only a list this long can pass the limit
	if len(vs) > l.ViolationsPerRule {
		perRule = map[string]int{}
	}
	var out []Violation
	for i, v := range vs {
		over := false
		if perRule != nil {
			perRule[v.Rule]++
			over = perRule[v.Rule] > l.ViolationsPerRule
		}
		long := len(v.Fields) > l.FieldsPerViolation || len(v.Rule) > l.ValueBytes
		if !over && !long && out == nil {
			continue // nothing changed yet: keep sharing vs
		}
		if out == nil {
			out = append(make([]Violation, 0, len(vs)), vs[:i]...)
		}
		if over {
			o.Violations++
			continue
		}
		if len(v.Fields) > l.FieldsPerViolation {
			o.Fields += len(v.Fields) - l.FieldsPerViolation
			v.Fields = v.Fields[:l.FieldsPerViolation:l.FieldsPerViolation]
		}
		fields := make([]string, len(v.Fields))
		for j, f := range v.Fields {
			fields[j] = l.shortenName(f)
		}
		v.Fields, v.Rule = fields, l.shortenName(v.Rule)
		out = append(out, v)
	}
	if out == nil {
		return vs
	}
	return out
}
