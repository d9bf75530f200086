package audit

import (
	"math"
	"strconv"

	"github.com/figcheck/figcheck/rules"
)

// texts makes many short strings from one buffer: each text is appended
// to buf and its end marked; every textBlock bytes the pending texts
// become slices of one string. 500,000 reasons so cost a few thousand
// allocations instead of one each.
type texts struct {
	buf  []byte
	ends []int // where each pending text ends in buf
}

const textBlock = 32 << 10

// end marks the end of a text: buf is t.buf with the text appended. It
// reports whether the buffer is full, and its texts should be flushed.
func (t *texts) end(buf []byte) bool {
	t.buf = buf
	t.ends = append(t.ends, len(buf))
	return len(buf) >= textBlock
}

// flush gives each pending text k (from 0, in order) to set, and empties
// the buffer for the next ones.
func (t *texts) flush(set func(k int, s string)) {
	if len(t.ends) == 0 {
		return
	}
	s := string(t.buf)
	start := 0
	for k, end := range t.ends {
		set(k, s[start:end])
		start = end
	}
	t.buf, t.ends = t.buf[:0], t.ends[:0]
}

// floats hands out short slices of figures cut from shared blocks.
type floats struct{ block []float64 }

const floatBlock = 1024

// cut returns a copy of xs, a slice of a shared block.
func (f *floats) cut(xs ...float64) []float64 {
	if len(f.block) < len(xs) {
		f.block = make([]float64, max(floatBlock, len(xs)))
	}
	v := f.block[:len(xs):len(xs)]
	copy(v, xs)
	f.block = f.block[len(xs):]
	return v
}

// findingList collects the findings of one task of the batch checks. A
// finding's reason is appended (strconv, no fmt) to text, see texts; its
// Values are cut from shared blocks.
type findingList struct {
	out  []Finding
	text texts
	done int // out[done:] wait for their reasons
	vals floats
}

// add appends a finding whose reason is what was appended to l.text.buf
// since the previous add: text is l.text.buf with it.
func (l *findingList) add(f Finding, text []byte) {
	l.out = append(l.out, f)
	if l.text.end(text) {
		l.flush()
	}
}

func (l *findingList) flush() {
	l.text.flush(func(k int, s string) { l.out[l.done+k].Reason = s })
	l.done = len(l.out)
}

// list returns the findings collected.
func (l *findingList) list() []Finding {
	l.flush()
	return l.out
}

// values returns a finding's Values.
func (l *findingList) values(xs ...float64) []float64 { return l.vals.cut(xs...) }

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
