package audit

import (
	"math"
	"strconv"

	"github.com/figcheck/figcheck/rules"
)

// findingList collects the findings of one task of the batch checks. Their
// reasons are appended (strconv, no fmt) to one buffer that becomes, every
// reasonBlock bytes, one string the reasons are slices of; their Values are
// cut from shared blocks. 500,000 peer outliers so cost a few thousand
// allocations instead of three each.
type findingList struct {
	out  []Finding
	text []byte // the reasons of out[done:], one after the other
	ends []int  // where each of those ends in text
	done int
	vals []float64 // the rest of the current block of Values
}

const (
	reasonBlock = 32 << 10
	valuesBlock = 1024
)

// add appends a finding whose reason is what was appended to l.text since
// the previous add: text is l.text with it.
func (l *findingList) add(f Finding, text []byte) {
	l.text = text
	l.ends = append(l.ends, len(text))
	l.out = append(l.out, f)
	if len(text) >= reasonBlock {
		l.flush()
	}
}

// flush makes the pending reasons strings.
func (l *findingList) flush() {
	if len(l.ends) == 0 {
		return
	}
	s := string(l.text)
	start := 0
	for k, end := range l.ends {
		l.out[l.done+k].Reason = s[start:end]
		start = end
	}
	l.done = len(l.out)
	l.text, l.ends = l.text[:0], l.ends[:0]
}

// list returns the findings collected.
func (l *findingList) list() []Finding {
	l.flush()
	return l.out
}

// values returns a finding's Values, a slice of a shared block.
func (l *findingList) values(xs ...float64) []float64 {
	if len(l.vals) < len(xs) {
		l.vals = make([]float64, max(valuesBlock, len(xs)))
	}
	v := l.vals[:len(xs):len(xs)]
	copy(v, xs)
	l.vals = l.vals[len(xs):]
	return v
}

// appendFV appends fv(x).
func appendFV(b []byte, x float64) []byte { return rules.AppendNumber(b, x) }

// appendInt appends n in decimal (%d).
func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// appendG2 appends x as %.2g writes it.
func appendG2(b []byte, x float64) []byte { return strconv.AppendFloat(b, x, 'g', 2, 64) }

// appendPow10 appends pow10Text(l): 10^l for a log10 l far below 0.
func appendPow10(b []byte, l float64) []byte {
	if l > -4 {
		return appendG2(b, math.Pow(10, l))
	}
	e := math.Floor(l)
	b = strconv.AppendFloat(b, math.Pow(10, l-e), 'f', 1, 64)
	b = append(b, "×10^"...)
	return appendInt(b, int(e))
}

// pow10Text writes 10^l for a log10 l far below 0.
func pow10Text(l float64) string { return string(appendPow10(nil, l)) }
