package anomaly

import (
	"math"
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

// sameBandByPosition is sameBand position by position.
func sameBandByPosition(a, b []float64, ma, mb []uint64, lo, hi int) bool {
	for p := lo; p < hi; p++ {
		ta, tb := ma[p/64]&(1<<(p%64)) == 0, mb[p/64]&(1<<(p%64)) == 0
		if ta != tb || !ta && math.Float64bits(a[p]) != math.Float64bits(b[p]) {
			return false
		}
	}
	return true
}

func TestSameBandMatchesPositions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const width = 200 // bands within a word and across words
	vec := func() ([]float64, []uint64) {
		v, m := make([]float64, width), make([]uint64, (width+63)/64)
		for p := range v {
			if rng.IntN(8) > 0 { // non-trivial, few values: bands often equal
				v[p] = float64(10 + rng.IntN(2))
				m[p/64] |= 1 << (p % 64)
			}
		}
		return v, m
	}
	for range 20000 {
		a, ma := vec()
		b, mb := vec()
		if rng.IntN(2) == 0 {
			b, mb = slices.Clone(a), slices.Clone(ma)
			p := rng.IntN(width)
			b[p], mb[p/64] = 11, mb[p/64]|1<<(p%64)
		}
		lo := rng.IntN(width)
		hi := lo + 1 + rng.IntN(min(width-lo, 1+rng.IntN(130)))
		if got, want := sameBand(a, b, ma, mb, lo, hi), sameBandByPosition(a, b, ma, mb, lo, hi); got != want {
			t.Fatalf("band %d–%d: sameBand %v, by position %v", lo, hi, got, want)
		}
	}
}
