package checker

import (
	"fmt"
	"unicode/utf8"

	"github.com/figcheck/figcheck/rules"
)

// maxHints bounds the unknown figures that get a "did you mean" hint. A
// submission with more unknown names is for another form or made up, and
// hints would be noise; without the bound a body of invented keys would
// cost an edit-distance search each.
const maxHints = 20

// addHints appends a hint to the messages of unknown-field violations
// r.Violations[from:] when there are at most maxHints of them.
func addHints(f *rules.Form, r *Result, from int, keys []string) {
	if len(keys) == 0 || len(keys) > maxHints {
		return
	}
	var prev, cur []int
	for i, v := range r.Violations[from:] {
		if v.Rule != BuiltinUnknownField {
			continue
		}
		for _, k := range keys {
			if v.key != k && v.key != "previous."+k {
				continue
			}
			var hint *rules.Indicator
			hint, prev, cur = closest(f, k, prev, cur)
			if hint != nil {
				r.Violations[from+i].Message += fmt.Sprintf("，是否是「%s」（%s）？", hint.Name, hint.ID)
			}
			break
		}
	}
}

// closest returns the indicator whose id or name is nearest to key by edit
// distance, or nil when nothing is close enough to be a useful hint. prev
// and cur are working rows, returned for reuse.
func closest(f *rules.Form, key string, prev, cur []int) (*rules.Indicator, []int, []int) {
	k := []rune(key)
	if len(k) > 64 {
		return nil, prev, cur // too long to be a typo
	}
	limit := max(2, len(k)/3)
	var best *rules.Indicator
	bestD := limit + 1
	for _, ind := range f.Indicators {
		for _, cand := range [2]string{ind.ID, ind.Name} {
			n := utf8.RuneCountInString(cand)
			if n-len(k) > limit || len(k)-n > limit {
				continue
			}
			if cap(prev) < n+1 {
				prev, cur = make([]int, n+1, 2*n+2), make([]int, n+1, 2*n+2)
			}
			if d := distance(k, cand, prev[:n+1], cur[:n+1]); d < bestD {
				best, bestD = ind, d
			}
		}
	}
	return best, prev, cur
}

// distance is the Levenshtein distance between a and b, using the rows
// prev and cur (each len(b in runes)+1) as working space.
func distance(a []rune, b string, prev, cur []int) int {
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		j := 1
		for _, rb := range b {
			cost := 1
			if a[i-1] == rb {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			j++
		}
		prev, cur = cur, prev
	}
	return prev[len(prev)-1]
}
