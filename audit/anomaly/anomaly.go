// Package anomaly holds the statistics of an audit: Benford's law on first
// digits with its conditions (Spread) and the overdispersion of sets of
// figures (Dispersion), rounding by magnitude (trailing zeros against
// their chance), the size of units and the residuals of their counts
// against units of the same size, modified z-scores for figures compared
// as they are, near-duplicate candidates and the chance that two units
// agree on their figures. (LastDigits, the share of figures ending in 0
// or 5, is the simpler test rounding by magnitude replaced in the audit.)
// The functions are pure: they take numbers and slices and return
// numbers, leaving the choice of figures and the wording of findings to
// package audit.
package anomaly

import (
	"math"
	"math/bits"
	"slices"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Conformity levels of Nigrini's MAD bands.
const (
	Close         = "close"
	Acceptable    = "acceptable"
	Marginal      = "marginal"
	Nonconformity = "nonconformity"
	TooFew        = "too_few"
)

// Bands are Nigrini's upper MAD bounds for close, acceptable and marginally
// acceptable conformity; above the last is nonconformity.
type Bands [3]float64

// Nigrini's bands for the first-digit and first-two-digits tests.
var (
	FirstDigitBands    = Bands{0.006, 0.012, 0.015}
	FirstTwoDigitBands = Bands{0.0012, 0.0018, 0.0022}
)

// Level names the band mad falls in.
func (b Bands) Level(mad float64) string {
	switch {
	case mad <= b[0]:
		return Close
	case mad <= b[1]:
		return Acceptable
	case mad <= b[2]:
		return Marginal
	}
	return Nonconformity
}

// BenfordResult is one Benford test over a set of figures.
type BenfordResult struct {
	// Digits is 1 for the first-digit test, 2 for the first two digits.
	Digits int `json:"digits"`
	// N is how many figures were tested (those of at least 10).
	N        int `json:"n"`
	MinCount int `json:"min_count"`
	// Conformity is a Nigrini band, or TooFew when N < MinCount (then no
	// statistic is computed).
	Conformity string  `json:"conformity"`
	MAD        float64 `json:"mad"`
	// Threshold is the MAD above which the figures do not conform.
	Threshold float64 `json:"threshold"`
	ChiSquare float64 `json:"chi_square"`
	DF        int     `json:"df"`
	P         float64 `json:"p"`
	// Counts are the observed counts of the leading digits, from 1 (or 10).
	Counts []int `json:"counts"`
	// Reason says in plain Chinese why the test does not apply, when
	// Conformity is NotApplicable or TooFew.
	Reason string `json:"reason,omitempty"`
}

// Fails reports whether the figures depart from Benford's law by both
// measures: MAD in the nonconformity band and a chi-square p-value below
// alpha. The chi-square alone rejects any large set for tiny departures;
// the MAD alone is unreliable on small sets.
func (r BenfordResult) Fails(alpha float64) bool {
	return r.Conformity == Nonconformity && r.P < alpha
}

// BenfordExpected is the expected share of leading digits d (1–9 for the
// first digit, 10–99 for the first two).
func BenfordExpected(d int) float64 { return math.Log10(1 + 1/float64(d)) }

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16}

// LeadingDigits returns the first n significant digits of |x| as a number
// (n=1: 1–9; n=2: 10–99), or 0 when x is 0 or not finite.
func LeadingDigits(x float64, n int) int {
	x = math.Abs(x)
	var d int
	if x >= 10 && x < 1e15 {
		d = leadingTwo(x)
	} else {
		if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			return 0
		}
		// Scale into [10, 100): the first two digits are the integer part.
		// The checks after the division correct a logarithm that is off by
		// one ulp at a power of ten.
		m := x / math.Pow10(int(math.Floor(math.Log10(x)))-1)
		if m < 10 {
			m *= 10
		} else if m >= 100 {
			m /= 10
		}
		d = min(int(m+1e-9), 99)
	}
	if n == 1 {
		return d / 10
	}
	return d
}

// leadingTwo is LeadingDigits(x, 2) for 10 ≤ x < 1e15, the figures of a
// form, without a logarithm. For x's binary exponent k, ⌊log10 2^k⌋ =
// ⌊k·78913/2^18⌋ is the decimal exponent e of x (10^e ≤ x < 10^(e+1)) or
// one less, which one comparison corrects; one exact division then scales
// x into [10, 100], as the logarithm did.
func leadingTwo(x float64) int {
	e := (int(math.Float64bits(x)>>52) - 1023) * 78913 >> 18
	e += b2i(x >= pow10[e+1])
	return min(int(x/pow10[e-1]+1e-9), 99)
}

// DigitCounts counts the leading digits of figures of at least 10, for
// both Benford tests at once, without keeping the figures.
type DigitCounts struct {
	N     int
	First [9]int  // digits 1–9
	Two   [90]int // digits 10–99
}

// Add counts x when |x| is at least 10 and finite.
func (c *DigitCounts) Add(x float64) {
	x = math.Abs(x)
	if !(x >= 10) || math.IsInf(x, 0) {
		return // also NaN
	}
	var d int
	if x < 1e15 {
		d = leadingTwo(x)
	} else {
		d = LeadingDigits(x, 2)
	}
	c.N++
	c.First[d/10-1]++
	c.Two[d-10]++
}

// Benford tests the leading digits of the values of at least 10 against
// Benford's law. digits is 1 or 2.
func Benford(values []float64, digits, minCount int) BenfordResult {
	var c DigitCounts
	for _, v := range values {
		c.Add(v)
	}
	return c.Test(digits, minCount)
}

// Test runs the first-digit (digits 1) or first-two-digits (2) test on the
// counts. Under minCount figures the result is TooFew, without statistics.
func (c *DigitCounts) Test(digits, minCount int) BenfordResult {
	return c.test(digits, minCount, true, 1)
}

// TestDispersed is Test with the chi-square divided by phi ≥ 1 before its
// p-value is taken: the overdispersion of sets of figures that are not
// independent draws (a unit's figures all scale with its size), estimated
// from many such sets by Dispersion. ChiSquare is the statistic as
// observed.
func (c *DigitCounts) TestDispersed(digits, minCount int, phi float64) BenfordResult {
	return c.test(digits, minCount, true, phi)
}

// FailsDispersed reports whether TestDispersed(digits, minCount,
// phi).Fails(alpha), cheaply as Fails does.
func (c *DigitCounts) FailsDispersed(digits, minCount int, alpha, phi float64) bool {
	return c.test(digits, minCount, false, phi).Fails(alpha)
}

// Dispersion is the overdispersion of chi-square statistics with df
// degrees of freedom: the larger of their median and their 90th
// percentile, each over the chi-square distribution's, at least 1. Most
// sets being honest, those quantiles are theirs; the 90th percentile
// catches a tail heavier than a scaled chi-square's. It reorders chi.
func Dispersion(chi []float64, df int) float64 {
	if len(chi) == 0 {
		return 1
	}
	law := distuv.ChiSquared{K: float64(df)}
	slices.Sort(chi)
	q := func(p float64) float64 { return chi[min(len(chi)-1, int(p*float64(len(chi))))] }
	return max(1, q(0.5)/law.Quantile(0.5), q(0.9)/law.Quantile(0.9))
}

// Fails reports whether Test(digits, minCount).Fails(alpha). It computes
// the chi-square p-value only when the MAD is in the nonconformity band,
// which makes it cheaper than Test when most sets conform.
func (c *DigitCounts) Fails(digits, minCount int, alpha float64) bool {
	return c.test(digits, minCount, false, 1).Fails(alpha)
}

// test is Test; without full, the result has no Counts, and no P unless
// its Conformity is Nonconformity.
func (c *DigitCounts) test(digits, minCount int, full bool, phi float64) BenfordResult {
	lo, hi, bands, counts := 1, 9, FirstDigitBands, c.First[:]
	if digits == 2 {
		lo, hi, bands, counts = 10, 99, FirstTwoDigitBands, c.Two[:]
	}
	r := BenfordResult{Digits: digits, N: c.N, MinCount: minCount, Threshold: bands[2], DF: hi - lo}
	if full {
		r.Counts = append([]int(nil), counts...)
	}
	if r.N == 0 || r.N < minCount {
		r.Conformity = TooFew
		return r
	}
	n := float64(r.N)
	for d := lo; d <= hi; d++ {
		p := BenfordExpected(d)
		o := float64(counts[d-lo])
		r.MAD += math.Abs(o/n - p)
		r.ChiSquare += (o - n*p) * (o - n*p) / (n * p)
	}
	r.MAD /= float64(hi - lo + 1)
	r.Conformity = bands.Level(r.MAD)
	if full || r.Conformity == Nonconformity {
		r.P = distuv.ChiSquared{K: float64(r.DF)}.Survival(r.ChiSquare / max(phi, 1))
	}
	return r
}

// LastDigitResult is the test of a preference for round numbers: the share
// of integer figures of at least 10 that end in 0 or 5, against the 20 %
// expected when last digits are uniform.
type LastDigitResult struct {
	N     int     `json:"n"`
	Round int     `json:"round"`
	Share float64 `json:"share"`
	// Z is the binomial z-score (Round − 0.2N)/√(0.16N). P is the exact
	// one-sided p-value, P(X ≥ Round) for X binomial(N, 0.2): with the few
	// dozen figures of a unit the normal approximation understates it (for
	// 28 of 69 it gives 1e-5, the exact value is 7e-5).
	Z float64 `json:"z"`
	P float64 `json:"p"`
}

// LastDigits counts the integer values of at least 10 ending in 0 or 5.
func LastDigits(values []float64) LastDigitResult {
	var r LastDigitResult
	for _, v := range values {
		// Without branches: the figures are a random mix of integers
		// and not, round and not.
		v = math.Abs(v)
		ok := b2i(v >= 10) & b2i(v <= 1e15) & b2i(v == math.Trunc(v))
		d := int64(v) % 10 // meaningless unless ok
		r.N += ok
		r.Round += ok & (b2i(d == 0) | b2i(d == 5))
	}
	if r.N == 0 {
		return r
	}
	n := float64(r.N)
	r.Share = float64(r.Round) / n
	r.Z = (float64(r.Round) - 0.2*n) / math.Sqrt(0.16*n)
	r.P = 1
	if r.Round > 0 {
		// P(X ≥ k) = I(0.2; k, N−k+1), the regularised incomplete beta.
		r.P = mathext.RegIncBeta(float64(r.Round), float64(r.N-r.Round+1), 0.2)
	}
	return r
}

// Median returns the median of xs (which it reorders), or NaN when empty.
// NaN counts as smaller than any number, as in slices.Sort.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	m := len(xs) / 2
	v, before := selected(xs, m)
	if len(xs)%2 == 1 {
		return v
	}
	return (before + v) / 2
}

// less orders floats as slices.Sort does: NaN first.
func less(x, y float64) bool { return x < y || (x != x && y == y) }

// selectNth reorders xs so that xs[k] is the element slices.Sort would put
// there, with none after it less than it and none before it greater: a
// quickselect, in linear time on average, that falls back to sorting the
// part left when it partitions badly.
func selectNth(xs []float64, k int) {
	lo, hi := 0, len(xs)-1
	budget := 2*bits.Len(uint(len(xs))) + 4
	for hi-lo >= 12 {
		if budget--; budget < 0 {
			slices.Sort(xs[lo : hi+1])
			return
		}
		// Hoare partition around the median of three: afterwards
		// xs[lo..j] ≤ p ≤ xs[i..hi] and anything between equals p.
		p := median3(xs[lo], xs[lo+(hi-lo)/2], xs[hi])
		i, j := lo, hi
		for i <= j {
			for less(xs[i], p) {
				i++
			}
			for less(p, xs[j]) {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
	for i := lo + 1; i <= hi; i++ {
		for j := i; j > lo && less(xs[j], xs[j-1]); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

func median3(a, b, c float64) float64 {
	if less(b, a) {
		a, b = b, a
	}
	if less(c, b) {
		b = c
		if less(b, a) {
			b = a
		}
	}
	return b
}

// ModifiedZ returns Iglewicz and Hoaglin's modified z-score of each value,
// 0.6745·(x − median)/MAD, with MAD the median absolute deviation, raised
// to relFloor·|median| when below it. When MAD is 0 it falls back to
// (x − median)/(1.253314·mean absolute deviation); when that is 0 too every
// score is 0. A NaN of xs is no value: it is left out of the median and
// the MAD, and its score is NaN. It also returns the median (NaN without
// a value) and the MAD used (0 in the fallback).
func ModifiedZ(xs []float64, relFloor float64) (z []float64, median, mad float64) {
	z = make([]float64, len(xs))
	median, mad = ModifiedZInto(z, xs, relFloor)
	return z, median, mad
}

// ModifiedZInto is ModifiedZ writing the scores into z, which must be as
// long as xs (and not overlap it); it uses z as scratch space and
// allocates nothing.
func ModifiedZInto(z, xs []float64, relFloor float64) (median, mad float64) {
	z = z[:len(xs)]
	n := 0
	for _, x := range xs {
		n += b2i(x == x)
	}
	if n == 0 {
		for i := range z {
			z[i] = math.NaN()
		}
		return math.NaN(), 0
	}
	median = medianOf(xs, n, false, 0, z)
	if mad = medianOf(xs, n, true, median, z); mad > 0 {
		mad = max(mad, relFloor*math.Abs(median))
		for i, x := range xs {
			z[i] = 0.6745 * (x - median) / mad
		}
		return median, mad
	}
	var mean float64
	for _, x := range xs {
		if x == x {
			mean += math.Abs(x - median)
		}
	}
	mean /= float64(n)
	for i, x := range xs {
		switch {
		case x != x:
			z[i] = math.NaN()
		case mean == 0:
			z[i] = 0
		default:
			z[i] = (x - median) / (1.253314 * mean)
		}
	}
	return median, 0
}

// medianOf is the median of the values x of xs, or |x − center| when dev,
// as Median computes it but without the NaN of xs: n is how many values
// are not NaN (at least one). buf is scratch space (see selectOrder).
func medianOf(xs []float64, n int, dev bool, center float64, buf []float64) float64 {
	m := n / 2
	v, before := selectOrder(xs, n, m, dev, center, buf)
	if n%2 == 1 {
		return v
	}
	return (before + v) / 2
}

// selectBlock is how many values selectOrder reads between checks that
// its scratch space has room.
const selectBlock = 4096

// SelectScratch is the scratch space the median of n values takes but
// for one selection in a few hundred (selectOrder), which allocates n.
func SelectScratch(n int) int { return n/4 + selectBlock }

// selectOrder returns the element k (from 0) of the values x of xs that
// are not NaN, of which there are n, or of |x − center| when dev, in the
// order of slices.Sort, and when k > 0 the element before it. buf is
// scratch space: with less than SelectScratch(len(xs)) it may allocate,
// and with less than n it does when the bounds below miss; xs is left as
// it is.
//
// It takes an evenly spaced sample of the values, picks from it bounds
// that very likely enclose element k, and in one pass without branches
// counts the values below the lower bound and copies those between the
// bounds to buf; element k is then selected among those few. When the
// bounds miss it selects among all the values.
func selectOrder(xs []float64, n, k int, dev bool, center float64, buf []float64) (kth, before float64) {
	if len(xs) >= 2048 {
		// The rank of element k among 512 samples is within ±32 (2.8
		// standard deviations) but for one run in a few hundred.
		const samples, margin = 512, 32
		var sample [samples]float64
		s := 0
		for i := range samples {
			y := xs[i*len(xs)/samples]
			if dev {
				y = math.Abs(y - center)
			}
			sample[s] = y
			s += b2i(y == y)
		}
		slices.Sort(sample[:s])
		lo, hi := math.Inf(-1), math.Inf(1)
		if pos := k * s / n; pos >= margin {
			lo = sample[pos-margin]
		}
		if pos := k * s / n; pos+margin < s {
			hi = sample[pos+margin]
		}
		// NaN is neither below lo nor at most hi: it is neither counted
		// nor kept.
		m, below, room := 0, 0, true
		for at := 0; at < len(xs) && room; at += selectBlock {
			block := xs[at:min(at+selectBlock, len(xs))]
			if room = m+len(block) <= len(buf); !room {
				break
			}
			if dev {
				for _, x := range block {
					y := math.Abs(x - center)
					buf[m] = y
					le, lt := b2i(y <= hi), b2i(y < lo)
					m += le - lt
					below += lt
				}
			} else {
				for _, y := range block {
					buf[m] = y
					le, lt := b2i(y <= hi), b2i(y < lo)
					m += le - lt
					below += lt
				}
			}
		}
		// Element k is in buf[:m] after below smaller values; so is the
		// one before it unless k is the first there.
		if j := k - below; room && j >= 0 && j < m && (j > 0 || k == 0) {
			return selected(buf[:m], j)
		}
	}
	if len(buf) < n {
		buf = make([]float64, n)
	}
	m := 0
	for _, x := range xs {
		if x == x {
			if dev {
				x = math.Abs(x - center)
			}
			buf[m] = x
			m++
		}
	}
	return selected(buf[:m], k)
}

// selected returns element k of xs in sorted order, and the one before it
// when k > 0, reordering xs.
func selected(xs []float64, k int) (kth, before float64) {
	selectNth(xs, k)
	if k > 0 {
		// The element before xs[k] in sorted order is the largest of
		// those selectNth put before it.
		before = xs[0]
		for _, x := range xs[1:k] {
			if less(before, x) {
				before = x
			}
		}
	}
	return xs[k], before
}

// b2i is 1 for true, 0 for false, without a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CriticalZ is the one-sided standard normal quantile for alpha: a z-score
// above it has a p-value below alpha.
func CriticalZ(alpha float64) float64 { return distuv.UnitNormal.Quantile(1 - alpha) }

// NotApplicable is the Conformity of a Benford test whose figures do not
// meet the law's conditions; the result's Reason says why.
const NotApplicable = "not_applicable"

// MinSpread is the orders of magnitude a set of figures must span for
// Benford's law to apply (see Spread).
const MinSpread = 2.0

// Spread is how many orders of magnitude the middle 90 % of the figures
// of at least 10 of xs span, log10(P95/P5), or 0 with fewer than two.
// Nigrini's conditions for Benford's law ask for figures that measure the
// size of something, without a built-in minimum or maximum, and spread
// over orders of magnitude: funding figures that all lie between 7,600
// and 8,900 start with 7 or 8 whatever their honesty. buf is scratch
// space, as long as xs or nil.
func Spread(xs, buf []float64) float64 {
	if len(buf) < len(xs) {
		buf = make([]float64, len(xs))
	}
	v := buf[:0]
	for _, x := range xs {
		if x = math.Abs(x); x >= 10 && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	if len(v) < 2 {
		return 0
	}
	slices.Sort(v)
	lo, hi := v[len(v)*5/100], v[(len(v)*95+99)/100-1]
	return math.Log10(hi / lo)
}
