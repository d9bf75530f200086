package anomaly

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortHighMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		n    int
		high uint64 // the high halves are below it: few, many alike
	}{{0, 1}, {1, 1}, {2, 1}, {100, 3}, {1000, 1 << 8}, {5000, 1 << 20}, {5000, 1 << 32}} {
		keys := make([]uint64, c.n)
		for i := range keys {
			keys[i] = rng.Uint64N(c.high)<<32 | uint64(i)
		}
		want := slices.Sorted(slices.Values(keys))
		sortHigh(keys, make([]uint64, len(keys)))
		if !slices.Equal(keys, want) {
			t.Errorf("%d keys below %#x: sortHigh differs from slices.Sort", c.n, c.high)
		}
	}
}
