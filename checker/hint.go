package checker

import "github.com/figcheck/figcheck/rules"

// closest returns the indicator whose id or name is nearest to key by edit
// distance, or nil when nothing is close enough to be a useful hint.
func closest(f *rules.Form, key string) *rules.Indicator {
	k := []rune(key)
	var best *rules.Indicator
	bestD := -1
	for _, ind := range f.Indicators {
		for _, cand := range [2]string{ind.ID, ind.Name} {
			d := distance(k, []rune(cand))
			if bestD < 0 || d < bestD {
				best, bestD = ind, d
			}
		}
	}
	if best == nil || bestD > max(2, len(k)/3) {
		return nil
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b []rune) int {
	if len(a) > 64 || len(b) > 64 {
		return len(a) + len(b) // too long to be a typo; not worth the work
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
