package anomaly

import (
	"cmp"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The straightforward implementations the faster ones replaced: the tests
// below check that both give the same results, bit for bit.

// leadingDigitsLog is LeadingDigits by logarithm and power of ten.
func leadingDigitsLog(x float64, n int) int {
	x = math.Abs(x)
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0
	}
	m := x / math.Pow10(int(math.Floor(math.Log10(x)))-1)
	if m < 10 {
		m *= 10
	} else if m >= 100 {
		m /= 10
	}
	d := int(m + 1e-9)
	if d >= 100 {
		d = 99
	}
	if n == 1 {
		return d / 10
	}
	return d
}

// medianSort is Median by sorting.
func medianSort(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}

// modifiedZSort is ModifiedZ with medianSort, the NaN of xs left out.
func modifiedZSort(xs []float64, relFloor float64) (z []float64, median, mad float64) {
	z = make([]float64, len(xs))
	var tmp []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			tmp = append(tmp, x)
		}
	}
	if len(tmp) == 0 {
		for i := range z {
			z[i] = math.NaN()
		}
		return z, math.NaN(), 0
	}
	median = medianSort(slices.Clone(tmp))
	for i, x := range tmp {
		tmp[i] = math.Abs(x - median)
	}
	if mad = medianSort(slices.Clone(tmp)); mad > 0 {
		mad = max(mad, relFloor*math.Abs(median))
		for i, x := range xs {
			z[i] = 0.6745 * (x - median) / mad
		}
		return z, median, mad
	}
	var mean float64
	for _, d := range tmp {
		mean += d
	}
	mean /= float64(len(tmp))
	for i, x := range xs {
		switch {
		case math.IsNaN(x):
			z[i] = math.NaN()
		case mean != 0:
			z[i] = (x - median) / (1.253314 * mean)
		}
	}
	return z, median, 0
}

// duplicatesMap is Duplicates with a map of buckets per band, keyed by a
// maphash of the band, and a map of the pairs seen; its pairs come in no
// particular order.
func duplicatesMap(vecs [][]float64, o DuplicateOptions) []Pair {
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
	trivial := func(pos int, x float64) bool {
		return math.IsNaN(x) || math.Abs(x) < o.MinAbs || (o.Trivial != nil && o.Trivial(pos, x))
	}
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
					if p, ok := compareTrivial(vecs[a], vecs[bb], trivial, o); ok {
						p.A, p.B = a, bb
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

func compareTrivial(a, b []float64, trivial func(int, float64) bool, o DuplicateOptions) (Pair, bool) {
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

// lastDigitsBranching is LastDigits as first written.
func lastDigitsBranching(values []float64) (n, round int) {
	for _, v := range values {
		v = math.Abs(v)
		if v < 10 || v != math.Trunc(v) || v > 1e15 {
			continue
		}
		n++
		if d := int64(v) % 10; d == 0 || d == 5 {
			round++
		}
	}
	return n, round
}

func TestLastDigitsMatchesBranching(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	xs := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e15, -1e15, 1e15 + 2, 1e300, 9.99, 10, -10, -15, 15.5, 0, -0.0}
	for range 100000 {
		switch rng.IntN(4) {
		case 0:
			xs = append(xs, float64(rng.IntN(100000)))
		case 1:
			xs = append(xs, -float64(rng.IntN(1000))*5)
		case 2:
			xs = append(xs, math.Round(rng.Float64()*1e5)/10)
		case 3:
			xs = append(xs, math.Pow(10, 20*rng.Float64()))
		}
	}
	for i := 0; i < len(xs); i += 1000 {
		vals := xs[i:min(i+1500, len(xs))]
		r := LastDigits(vals)
		if n, round := lastDigitsBranching(vals); r.N != n || r.Round != round {
			t.Errorf("values %d–: N %d round %d, by branching %d %d", i, r.N, r.Round, n, round)
		}
	}
}

func TestLeadingDigitsMatchesLogarithm(t *testing.T) {
	var xs []float64
	// Powers of ten, digit boundaries d·10^e and their neighbours a few
	// ulps and a billionth away, over every decade and beyond.
	for e := -20; e <= 25; e++ {
		for d := 1; d <= 100; d++ {
			b := float64(d) * math.Pow10(e)
			xs = append(xs, b, b*(1-1e-9), b*(1+1e-9), b*(1-1.1e-9), b*(1-0.9e-9), b*(1-1e-10))
			lo, up := b, b
			for range 4 {
				lo, up = math.Nextafter(lo, 0), math.Nextafter(up, math.Inf(1))
				xs = append(xs, lo, up)
			}
		}
	}
	xs = append(xs, math.Nextafter(1000, 0), math.Nextafter(10, 0), math.Nextafter(1e15, 0), 1e15, 0, math.Inf(1),
		math.Inf(-1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64, -1234.5)
	// Figures as forms have them, and random magnitudes.
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		xs = append(xs, float64(rng.IntN(10_000_000)), math.Round(rng.Float64()*1e6)/10,
			math.Pow(10, 30*rng.Float64()-5), -math.Pow(10, 20*rng.Float64()))
	}
	var c, want DigitCounts
	for _, x := range xs {
		for _, n := range []int{1, 2} {
			if got, want := LeadingDigits(x, n), leadingDigitsLog(x, n); got != want {
				t.Errorf("LeadingDigits(%v, %d) = %d, by logarithm %d", x, n, got, want)
			}
		}
		c.Add(x)
		if a := math.Abs(x); a >= 10 && !math.IsInf(a, 0) {
			d := leadingDigitsLog(x, 2)
			want.N++
			want.First[d/10-1]++
			want.Two[d-10]++
		}
	}
	if c != want {
		t.Errorf("DigitCounts.Add counts %v, by logarithm %v", c, want)
	}
}

// samples are slices to take medians of: random, tied, sorted, reversed,
// with NaN, infinities and signed zeros, of every small length.
func samples() [][]float64 {
	rng := rand.New(rand.NewPCG(7, 8))
	var out [][]float64
	for n := range 60 {
		for kind := range 8 {
			xs := make([]float64, n)
			for i := range xs {
				switch kind {
				case 0:
					xs[i] = rng.NormFloat64()
				case 1:
					xs[i] = float64(rng.IntN(4))
				case 2:
					xs[i] = float64(i)
				case 3:
					xs[i] = float64(n - i)
				case 4:
					xs[i] = []float64{math.NaN(), 1, -1, math.Inf(1), math.Inf(-1), 0, 2}[rng.IntN(7)]
				case 5:
					xs[i] = 7
				case 6:
					xs[i] = float64(i % 3)
				case 7:
					xs[i] = math.Round(rng.ExpFloat64() * 100)
				}
			}
			out = append(out, xs)
		}
	}
	for _, n := range []int{1000, 1001, 2048, 2049, 50007, 100000} {
		for kind := range 9 {
			xs := make([]float64, n)
			for i := range xs {
				switch kind {
				case 0:
					xs[i] = rng.NormFloat64() * 1000
				case 1:
					xs[i] = float64(rng.IntN(20))
				case 2:
					xs[i] = float64(i / 7) // sorted with runs
				case 3:
					xs[i] = math.Round(math.Pow(10, 1+3*rng.Float64()))
				case 4:
					xs[i] = float64(rng.IntN(1000))
					if rng.IntN(1000) == 0 {
						xs[i] = math.NaN()
					}
				case 5:
					xs[i] = []float64{math.Inf(1), math.Inf(-1), 5, 6, 7, 8}[rng.IntN(6)]
				case 6:
					// Large exactly where an evenly spaced sample looks.
					xs[i] = float64(i)
					if i%(n/512) == 0 {
						xs[i] = 1e9
					}
				case 7:
					// Mostly absent, as a figure few units report.
					xs[i] = math.NaN()
					if rng.IntN(3) == 0 {
						xs[i] = rng.NormFloat64() * 1000
					}
				case 8:
					// Absent where an evenly spaced sample looks.
					xs[i] = float64(rng.IntN(1000))
					if i%(n/512) == 0 {
						xs[i] = math.NaN()
					}
				}
			}
			out = append(out, xs)
		}
	}
	return out
}

// same reports whether x and y are the same float (NaN equals NaN).
func same(x, y float64) bool { return x == y || x != x && y != y }

func TestMedianMatchesSort(t *testing.T) {
	for _, xs := range samples() {
		got, want := Median(slices.Clone(xs)), medianSort(slices.Clone(xs))
		if !same(got, want) {
			t.Errorf("Median of %d values = %v, by sorting %v", len(xs), got, want)
		}
	}
}

func TestModifiedZMatchesSort(t *testing.T) {
	for _, xs := range samples() {
		for _, floor := range []float64{0, 0.01, 0.5} {
			z, med, mad := ModifiedZ(xs, floor)
			wz, wmed, wmad := modifiedZSort(xs, floor)
			if !same(med, wmed) || !same(mad, wmad) || !slices.EqualFunc(z, wz, same) {
				t.Errorf("ModifiedZ of %d values, floor %v: median %v MAD %v, by sorting %v %v", len(xs), floor, med, mad, wmed, wmad)
			}
		}
	}
}

// TestSelectOrderMatchesSort selects every kind of rank, not only medians.
func TestSelectOrderMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, xs := range samples() {
		if len(xs) == 0 {
			continue
		}
		// Scratch space of every length: the selection allocates when
		// it needs more.
		for _, buf := range [][]float64{nil, make([]float64, SelectScratch(len(xs))), make([]float64, len(xs))} {
			for _, dev := range []bool{false, true} {
				center := 3.0
				var sorted []float64 // the values that are not NaN
				for _, x := range xs {
					if !math.IsNaN(x) {
						if dev {
							x = math.Abs(x - center)
						}
						sorted = append(sorted, x)
					}
				}
				if len(sorted) == 0 {
					continue
				}
				slices.Sort(sorted)
				n := len(sorted)
				for _, k := range []int{0, 1, n / 3, n / 2, n - 1, rng.IntN(n)} {
					if k >= n {
						continue
					}
					before := 0.0
					if k > 0 {
						before = sorted[k-1]
					}
					got, gotBefore := selectOrder(xs, n, k, dev, center, buf)
					if !same(got, sorted[k]) || !same(gotBefore, before) {
						t.Errorf("%d values, scratch %d, dev %v, k %d: %v after %v, by sorting %v after %v", len(xs), len(buf), dev, k, got, gotBefore, sorted[k], before)
					}
				}
			}
		}
	}
}

func TestDuplicatesMatchesMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	small := func(_ int, x float64) bool { return math.Abs(x) < 10 }
	cases := []struct {
		n, width, copies int
		trivial          float64 // share of trivial values
		o                DuplicateOptions
	}{
		{500, 40, 40, 0.2, DuplicateOptions{MinSame: 10, MaxDiffer: 0.1, Trivial: small}},
		{500, 40, 40, 0.5, DuplicateOptions{MinSame: 5, MaxDiffer: 0.25, MinAbs: 10}},
		{300, 97, 40, 0.3, DuplicateOptions{MinSame: 8, MaxDiffer: 0.1, MaxBucket: 5, MinAbs: 10}},
		{200, 130, 150, 0.1, DuplicateOptions{MinSame: 10, MaxDiffer: 0, Trivial: small}},
		{50, 40, 10, 0.6, DuplicateOptions{MinSame: 2, MaxDiffer: 0.5, MaxBucket: 2, MinAbs: 5, Trivial: small}},
	}
	defer func(m uint64) { hashMask = m }(hashMask)
	for i := range 2 * len(cases) {
		ci, c := i/2, cases[i/2]
		// Every other run with a hash of three bits: most bands collide.
		hashMask = ^uint64(0)
		if i%2 == 1 {
			hashMask = 7
		}
		vecs := make([][]float64, c.n)
		for i := range vecs {
			v := make([]float64, c.width)
			for p := range v {
				switch r := rng.Float64(); {
				case r < c.trivial/2:
					v[p] = math.NaN()
				case r < c.trivial:
					v[p] = float64(rng.IntN(10))
				default:
					v[p] = float64(10 + rng.IntN(50)) // small range: bands often equal
				}
			}
			vecs[i] = v
		}
		// Copies of a few sources, about half of them exact, the others
		// changed in up to a tenth of the places.
		for range c.copies {
			v := slices.Clone(vecs[rng.IntN(5)])
			for range max(0, rng.IntN(c.width/5+1)-c.width/10) {
				v[rng.IntN(c.width)] = float64(10 + rng.IntN(1000))
			}
			vecs[rng.IntN(c.n)] = v
		}
		got := Duplicates(len(vecs), rowOf(vecs), c.o)
		want := duplicatesMap(vecs, c.o)
		slices.SortFunc(want, func(x, y Pair) int { return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B)) })
		if !slices.Equal(got, want) {
			t.Errorf("case %d, hash mask %x: %d pairs, with maps %d", ci, hashMask, len(got), len(want))
		}
		if len(want) == 0 {
			t.Errorf("case %d finds no pairs", ci)
		}
	}
}

func TestDigitCountsFails(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 2000 {
		var c DigitCounts
		for range 20 + rng.IntN(300) {
			if trial%2 == 0 {
				c.Add(math.Pow(10, 1+3*rng.Float64()))
			} else {
				c.Add(float64(10 + rng.IntN(990)))
			}
		}
		for _, digits := range []int{1, 2} {
			for _, alpha := range []float64{1e-5, 0.01, 0.5} {
				if got, want := c.Fails(digits, 60, alpha), c.Test(digits, 60).Fails(alpha); got != want {
					t.Errorf("trial %d: Fails(%d, 60, %v) = %v, Test says %v", trial, digits, alpha, got, want)
				}
			}
		}
	}
}
