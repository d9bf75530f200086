package audit

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMergeRunsIsStableSort checks that merging sorted runs gives what a
// stable sort of the runs one after the other gives, on random findings
// with many ties, for any number of workers.
func TestMergeRunsIsStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	for _, c := range []struct{ runs, size, workers int }{
		{0, 0, 2}, {1, 10, 1}, {3, 1000, 2}, {40, 300, 2}, {7, 5000, 3}, {200, 60, 8},
	} {
		t.Run(fmt.Sprintf("%d×%d/%d", c.runs, c.size, c.workers), func(t *testing.T) {
			var all []Finding
			var runs []sortedRun
			for range c.runs {
				fs := make([]Finding, rng.IntN(c.size+1))
				for i := range fs {
					// Value numbers the findings, which compareFindings
					// does not look at: it tells equal findings apart.
					fs[i] = testFinding(findingMembers{Kind: pick(KindOutlier, KindJump, KindDuplicate), Unit: pick("a", "b", "c", "d"),
						Period: pick("1", "2"), Indicator: pick("x", "y", ""), Peer: pick("", "p"), Value: float64(len(all) + i)})
				}
				all = append(all, fs...)
				runs = append(runs, sortRun(fs))
			}
			want := slices.Clone(all)
			slices.SortStableFunc(want, func(x, y Finding) int { return compareFindings(&x, &y) })
			for i := range want {
				want[i].P = 1
			}
			got := mergeRuns(runs, c.workers, func(f *Finding) { f.P = 1 })
			if len(got) != len(want) {
				t.Fatalf("%d findings, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].Value != want[i].Value || got[i].P != 1 {
					t.Fatalf("finding %d is %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestSortParallel checks that sorting in parts and merging them gives
// the sort of the whole, for any number of workers.
func TestSortParallel(t *testing.T) {
	type pair struct{ key, at int }
	order := func(x, y pair) int { return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.at, y.at)) }
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 5, 4096, 20000, 100003} {
		for _, workers := range []int{1, 2, 3, 8} {
			s := make([]pair, n)
			for i := range s {
				s[i] = pair{rng.IntN(50), i}
			}
			want := slices.Clone(s)
			slices.SortFunc(want, order)
			sortParallel(s, order, workers)
			if !slices.Equal(s, want) {
				t.Fatalf("%d elements, %d workers: not sorted as a whole", n, workers)
			}
		}
	}
}
