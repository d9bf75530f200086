package audit

import (
	"math"
	"strconv"

	"github.com/figcheck/figcheck/rules"
)

// texts makes many short strings from one buffer: each text is appended
// to buf, then given its destination; when the buffer is full the texts
// waiting in it become slices of one string. 500,000 reasons so cost a
// few hundred allocations instead of one each. The destinations must stay
// where they are until flush.
type texts struct {
	buf  []byte
	ends []int     // where each waiting text ends in buf
	dst  []*string // and where it goes
}

// textBlock is about the length of the strings the texts are cut from,
// just below a multiple of the heap's page (8 KB): a larger object takes
// whole pages.
const textBlock = 128<<10 - 1<<10

// end marks the end of a text to be written to dst: buf is t.buf with the
// text appended.
func (t *texts) end(buf []byte, dst *string) {
	t.buf = buf
	t.ends = append(t.ends, len(buf))
	t.dst = append(t.dst, dst)
	if len(buf) >= textBlock {
		t.flush()
	}
}

// flush writes the waiting texts and empties the buffer for the next.
func (t *texts) flush() {
	if len(t.ends) == 0 {
		return
	}
	s := string(t.buf)
	start := 0
	for k, end := range t.ends {
		*t.dst[k] = s[start:end]
		start = end
	}
	clear(t.dst)
	t.buf, t.ends, t.dst = t.buf[:0], t.ends[:0], t.dst[:0]
}

// findingList collects the findings of one task of the batch checks, in
// chunks that never grow (so that a finding's head stays where it is
// until its reason is written, and no finding is copied but into the
// report's list). A finding's reason is appended (strconv, no fmt) to
// text, see texts, but a peer outlier's, rendered when written
// (addOutlier). The findings' own heads are cut from shared blocks.
type findingList struct {
	full  [][]Finding
	cur   []Finding
	heads []findingHead
	text  texts
}

// findingChunk bounds the chunks made without a count of what comes.
const findingChunk = 4096

// headBlock is how many heads a block of findingList holds.
const headBlock = 256

// grow makes room for n more findings in the current chunk.
func (l *findingList) grow(n int) {
	if cap(l.cur)-len(l.cur) >= n {
		return
	}
	if len(l.cur) > 0 {
		l.full = append(l.full, l.cur)
	}
	l.cur = make([]Finding, 0, max(n, min(2*cap(l.cur), findingChunk), 16))
}

// add appends the finding of m whose reason is what was appended to
// l.text.buf since the previous add: text is l.text.buf with it.
func (l *findingList) add(m findingMembers, text []byte) {
	if len(l.heads) == 0 {
		l.heads = make([]findingHead, headBlock)
	}
	h := &l.heads[0]
	l.heads = l.heads[1:]
	l.grow(1)
	l.cur = append(l.cur, newFinding(m, h))
	l.text.end(text, &h.reason)
}

// addOutlier appends a peer outlier, whose reason is rendered when written
// (Finding.AppendReason).
func (l *findingList) addOutlier(f Finding) {
	l.grow(1)
	l.cur = append(l.cur, f)
}

// lists returns the findings collected, in chunks.
func (l *findingList) lists() [][]Finding {
	l.text.flush()
	if len(l.cur) > 0 {
		l.full = append(l.full, l.cur)
	}
	return l.full
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
