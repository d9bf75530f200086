package anomaly

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
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
	// MinAbs makes values under it in absolute value trivial too: a
	// cheaper test than Trivial for the common case.
	MinAbs float64
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
// are compared. The n vectors, of one length, are vec(0)…vec(n-1). Pairs
// come with A < B, ordered by A then B.
func Duplicates(n int, vec func(i int) []float64, o DuplicateOptions) []Pair {
	if n < 2 {
		return nil
	}
	if o.MaxBucket == 0 {
		o.MaxBucket = 32
	}
	width := len(vec(0))
	nb := int(math.Floor(o.MaxDiffer*float64(width))) + 1
	nb = min(nb, width)
	if nb < 1 {
		return nil
	}
	trivial := func(pos int, x float64) bool {
		return math.IsNaN(x) || math.Abs(x) < o.MinAbs || (o.Trivial != nil && o.Trivial(pos, x))
	}
	// One pass over the vectors: the non-trivial positions of each, as a
	// bit mask, and the hash of each of its bands, informative when the
	// band has at least two non-trivial values.
	// A seed drawn per call keeps a crafted batch from colliding on
	// purpose (the pairs found do not depend on it).
	seed := rand.Uint64()
	words := (width + 63) / 64
	masks := make([]uint64, n*words)
	hashes := make([]uint64, nb*n) // band b of vector i at b*n+i
	informative := make([]bool, nb*n)
	for i := range n {
		v := vec(i)
		mask := masks[i*words : (i+1)*words]
		for b := range nb {
			lo, hi := b*width/nb, (b+1)*width/nb
			h, k := seed, 0
			for p := lo; p < hi; p++ {
				x := v[p]
				if trivial(p, x) {
					h = mix(h, trivialTag)
					continue
				}
				mask[p/64] |= 1 << (p % 64)
				k++
				h = mix(h, math.Float64bits(x))
			}
			hashes[b*n+i], informative[b*n+i] = h&hashMask, k >= 2
		}
	}
	mask := func(i int32) []uint64 { return masks[int(i)*words : int(i+1)*words] }
	// The pairs sharing a band, as a<<32 | b.
	var cand []uint64
	// keys are the informative bands' hashes, the high half of each
	// word, with the vector in the low half: sorted, the vectors whose
	// bands hash alike form runs, in increasing order. A band's keys
	// take the place of its hashes, which they are made from in order.
	var tmp []uint64
	var members, group, rest []int32
	for b := range nb {
		lo, hi := b*width/nb, (b+1)*width/nb
		keys := hashes[b*n : b*n]
		for i := range n {
			if informative[b*n+i] {
				keys = append(keys, hashes[b*n+i]&^0xffffffff|uint64(i))
			}
		}
		tmp = slices.Grow(tmp[:0], len(keys))[:len(keys)]
		sortHigh(keys, tmp)
		for start := 0; start < len(keys); {
			end := start + 1
			for end < len(keys) && keys[end]>>32 == keys[start]>>32 {
				end++
			}
			members = members[:0]
			for _, k := range keys[start:end] {
				members = append(members, int32(uint32(k)))
			}
			start = end
			// The vectors whose band hashes alike, split into the groups
			// whose bands are equal (a hash can collide).
			for len(members) > 1 {
				group, rest = group[:0], rest[:0]
				first := members[0]
				for _, m := range members {
					if sameBand(vec(int(first)), vec(int(m)), mask(first), mask(m), lo, hi) {
						group = append(group, m)
					} else {
						rest = append(rest, m)
					}
				}
				if len(group) >= 2 && len(group) <= o.MaxBucket {
					for x := range group {
						for _, y := range group[x+1:] {
							cand = append(cand, uint64(group[x])<<32|uint64(y))
						}
					}
				}
				members = append(members[:0], rest...)
			}
		}
	}
	slices.Sort(cand)
	cand = slices.Compact(cand)
	var out []Pair
	for _, c := range cand {
		a, bb := int32(c>>32), int32(uint32(c))
		if p, ok := compareMasked(vec(int(a)), vec(int(bb)), mask(a), mask(bb), o); ok {
			p.A, p.B = int(a), int(bb)
			out = append(out, p)
		}
	}
	return out
}

// sortHigh sorts keys, whose low halves increase, as slices.Sort would: by
// their high halves, which a stable radix sort orders in linear time
// (slices.Sort took 70 ms at a million keys), leaving the low halves
// increasing among equal high halves. tmp is scratch as long as keys.
func sortHigh(keys, tmp []uint64) {
	// Four passes of a byte each: the keys end where they started.
	for shift := 32; shift < 64; shift += 8 {
		var at [256]int
		for _, k := range keys {
			at[byte(k>>shift)]++
		}
		sum := 0
		for d, c := range at {
			at[d], sum = sum, sum+c
		}
		for _, k := range keys {
			d := byte(k >> shift)
			tmp[at[d]] = k
			at[d]++
		}
		keys, tmp = tmp, keys
	}
}

// compareMasked counts the equal and differing positions of a and b, whose
// non-trivial positions are the bits of ma and mb, and reports whether
// they are copies. It stops counting as soon as they cannot be.
func compareMasked(a, b []float64, ma, mb []uint64, o DuplicateOptions) (Pair, bool) {
	var p Pair
	both, total := 0, 0
	for w := range ma {
		both += bits.OnesCount64(ma[w] & mb[w])
		total += bits.OnesCount64(ma[w] | mb[w])
	}
	// Same+Differ is total whatever the values: a copy has at most
	// maxDiffer differences and at least MinSame equal values.
	maxDiffer := o.MaxDiffer * float64(total)
	p.Differ = total - both
	if both < o.MinSame || float64(p.Differ) > maxDiffer {
		return p, false
	}
	for w := range ma {
		for m := ma[w] & mb[w]; m != 0; m &= m - 1 {
			i := w*64 + bits.TrailingZeros64(m)
			if a[i] == b[i] {
				p.Same++
			} else if p.Differ++; float64(p.Differ) > maxDiffer {
				return p, false
			}
		}
	}
	return p, p.Same >= o.MinSame
}

// hashMask is all ones; tests narrow it to make bands collide.
var hashMask = ^uint64(0)

// trivialTag stands for a trivial value in a band's hash.
const trivialTag = 0x9e3779b97f4a7c15

// mix adds v to the hash h.
func mix(h, v uint64) uint64 {
	hi, lo := bits.Mul64(h^0xa0761d6478bd642f, v^0xe7037ed1a0b428db)
	return hi ^ lo
}

// sameBand reports whether a and b, whose non-trivial positions are the
// bits of ma and mb, have the same trivial positions and the same
// non-trivial values (bit for bit) in positions lo to hi−1.
func sameBand(a, b []float64, ma, mb []uint64, lo, hi int) bool {
	for w := lo / 64; w*64 < hi; w++ {
		// sel marks the band's positions in word w.
		from, to := max(lo-w*64, 0), min(hi-w*64, 64)
		sel := ^uint64(0) >> (64 - (to - from)) << from
		if (ma[w]^mb[w])&sel != 0 {
			return false
		}
		for m := ma[w] & sel; m != 0; m &= m - 1 {
			p := w*64 + bits.TrailingZeros64(m)
			if math.Float64bits(a[p]) != math.Float64bits(b[p]) {
				return false
			}
		}
	}
	return true
}

// honestSpread is the relative spread of a figure between units alike
// (±10 %): an honest figure x reported to a step δ matches another's by
// chance about δ/(0.2·|x|) of the time.
const honestSpread = 0.2

// MatchChance is the chance that an honest unit reports exactly x, as
// another does, when others of the reporting units (the pair compared
// left out) report x too: the larger of the share of those units that
// report x (with half a unit added, so that a batch of 40 units never
// claims less than 1/80) and Resolution(x)/(0.2·|x|), the chance of
// landing on x when figures of its size spread by ±10 % and are reported
// to its step. So 0, 1 and other small or round figures carry little
// evidence, a five-digit figure or a rate with a decimal much. The share
// is p_x, the indicator's distribution at x, whose mean over the units is
// the indicator's collision probability Σ p²; the step accounts for
// rounding: 3000 matches 3000 far more often than 3017 matches 3017.
func MatchChance(others, reporting int, x float64) float64 {
	share := (float64(others) + 0.5) / (float64(reporting) + 1)
	chance := 1.0
	if x != 0 {
		chance = min(1, Resolution(x)/(honestSpread*math.Abs(x)))
	}
	return min(1, max(share, chance))
}

// CopyP is the chance that two honest units agree on at least the figures
// they agree on: the product of the match chances p of the equal figures,
// times the number of ways to choose which of the same+differ figures
// compared are the differ that disagree (C(same+differ, differ)). It
// returns its log10, as the product of a hundred figures underflows.
func CopyP(p []float64, differ int) float64 {
	var l float64
	for _, x := range p {
		l += math.Log10(x)
	}
	n := len(p) + differ
	lg := func(k int) float64 { v, _ := math.Lgamma(float64(k + 1)); return v }
	l += (lg(n) - lg(differ) - lg(n-differ)) / math.Ln10
	return min(l, 0)
}
