package anomaly

import (
	"hash/maphash"
	"math"
)

// Pair is two vectors that are identical or nearly so.
type Pair struct {
	A, B int
	// Same is how many non-trivial positions hold the same value in both;
	// Differ how many positions where either is non-trivial differ.
	Same, Differ int
}

// DuplicateOptions say when two vectors count as copies.
type DuplicateOptions struct {
	// Trivial reports values that carry no evidence of copying (absent,
	// zero, small); NaN marks an absent value and is always trivial.
	Trivial func(pos int, x float64) bool
	// MinSame is the least number of equal non-trivial positions.
	MinSame int
	// MaxDiffer is the largest share (0–1) of differing positions among
	// those compared.
	MaxDiffer float64
	// MaxBucket bounds the vectors compared pairwise for one band value;
	// larger buckets (a common default filled in everywhere) are skipped.
	MaxBucket int
}

// Duplicates finds pairs of vectors that agree on at least MinSame
// non-trivial positions and differ on at most MaxDiffer of the positions
// where either is non-trivial. It does not compare every pair: positions
// are split into ⌊MaxDiffer·len⌋+1 bands, and by the pigeonhole principle
// two vectors that differ in no more positions share one band exactly;
// only vectors sharing a band (with at least two non-trivial values in it)
// are compared.
func Duplicates(vecs [][]float64, o DuplicateOptions) []Pair {
	if len(vecs) < 2 {
		return nil
	}
	if o.MaxBucket == 0 {
		o.MaxBucket = 32
	}
	width := len(vecs[0])
	nb := int(math.Floor(o.MaxDiffer*float64(width))) + 1
	nb = min(nb, width)
	if nb < 1 {
		return nil
	}
	trivial := func(pos int, x float64) bool { return math.IsNaN(x) || (o.Trivial != nil && o.Trivial(pos, x)) }
	seed := maphash.MakeSeed()
	seen := map[[2]int]bool{}
	var out []Pair
	for b := range nb {
		lo, hi := b*width/nb, (b+1)*width/nb
		buckets := map[uint64][]int{}
		for i, v := range vecs {
			var h maphash.Hash
			h.SetSeed(seed)
			informative := 0
			for p := lo; p < hi; p++ {
				x := v[p]
				if trivial(p, x) {
					h.WriteByte(0)
					continue
				}
				informative++
				h.WriteByte(1)
				bits := math.Float64bits(x)
				for k := range 8 {
					h.WriteByte(byte(bits >> (8 * k)))
				}
			}
			if informative >= 2 {
				k := h.Sum64()
				buckets[k] = append(buckets[k], i)
			}
		}
		for _, members := range buckets {
			if len(members) < 2 || len(members) > o.MaxBucket {
				continue
			}
			for x := 0; x < len(members); x++ {
				for y := x + 1; y < len(members); y++ {
					a, bb := members[x], members[y]
					if seen[[2]int{a, bb}] {
						continue
					}
					seen[[2]int{a, bb}] = true
					if p, ok := compare(vecs[a], vecs[bb], trivial, o); ok {
						p.A, p.B = a, bb
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

func compare(a, b []float64, trivial func(int, float64) bool, o DuplicateOptions) (Pair, bool) {
	var p Pair
	for i := range a {
		ta, tb := trivial(i, a[i]), trivial(i, b[i])
		switch {
		case ta && tb:
		case !ta && !tb && a[i] == b[i]:
			p.Same++
		default:
			p.Differ++
		}
	}
	ok := p.Same >= o.MinSame && float64(p.Differ) <= o.MaxDiffer*float64(p.Same+p.Differ)
	return p, ok
}
