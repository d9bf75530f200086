// Package anomaly holds the statistics of an audit: Benford's law on first
// digits, the preference for last digits 0 and 5, modified z-scores for
// peer outliers and near-duplicate detection. The functions are pure: they
// take numbers and return numbers, leaving the choice of figures and the
// wording of findings to package audit.
package anomaly

import (
	"math"
	"slices"

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

// LeadingDigits returns the first n significant digits of |x| as a number
// (n=1: 1–9; n=2: 10–99), or 0 when x is 0 or not finite.
func LeadingDigits(x float64, n int) int {
	x = math.Abs(x)
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0
	}
	// Scale into [10, 100): the first two digits are the integer part. The
	// checks after the division correct a logarithm that is off by one ulp
	// at a power of ten.
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
	if x < 10 || math.IsInf(x, 0) || math.IsNaN(x) {
		return
	}
	d := LeadingDigits(x, 2)
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
	lo, hi, bands, counts := 1, 9, FirstDigitBands, c.First[:]
	if digits == 2 {
		lo, hi, bands, counts = 10, 99, FirstTwoDigitBands, c.Two[:]
	}
	r := BenfordResult{Digits: digits, N: c.N, MinCount: minCount, Counts: append([]int(nil), counts...), Threshold: bands[2], DF: hi - lo}
	if r.N == 0 || r.N < minCount {
		r.Conformity = TooFew
		return r
	}
	n := float64(r.N)
	for d := lo; d <= hi; d++ {
		p := BenfordExpected(d)
		o := float64(r.Counts[d-lo])
		r.MAD += math.Abs(o/n - p)
		r.ChiSquare += (o - n*p) * (o - n*p) / (n * p)
	}
	r.MAD /= float64(hi - lo + 1)
	r.Conformity = bands.Level(r.MAD)
	r.P = distuv.ChiSquared{K: float64(r.DF)}.Survival(r.ChiSquare)
	return r
}

// LastDigitResult is the test of a preference for round numbers: the share
// of integer figures of at least 10 that end in 0 or 5, against the 20 %
// expected when last digits are uniform.
type LastDigitResult struct {
	N     int     `json:"n"`
	Round int     `json:"round"`
	Share float64 `json:"share"`
	// Z is the binomial z-score (Round − 0.2N)/√(0.16N); P its one-sided
	// p-value.
	Z float64 `json:"z"`
	P float64 `json:"p"`
}

// LastDigits counts the integer values of at least 10 ending in 0 or 5.
func LastDigits(values []float64) LastDigitResult {
	var r LastDigitResult
	for _, v := range values {
		v = math.Abs(v)
		if v < 10 || v != math.Trunc(v) || v > 1e15 {
			continue
		}
		r.N++
		if d := int64(v) % 10; d == 0 || d == 5 {
			r.Round++
		}
	}
	if r.N == 0 {
		return r
	}
	n := float64(r.N)
	r.Share = float64(r.Round) / n
	r.Z = (float64(r.Round) - 0.2*n) / math.Sqrt(0.16*n)
	r.P = distuv.UnitNormal.Survival(r.Z)
	return r
}

// Median returns the median of xs (which it sorts), or NaN when empty.
func Median(xs []float64) float64 {
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

// ModifiedZ returns Iglewicz and Hoaglin's modified z-score of each value,
// 0.6745·(x − median)/MAD, with MAD the median absolute deviation, raised
// to relFloor·|median| when below it. When MAD is 0 it falls back to
// (x − median)/(1.253314·mean absolute deviation); when that is 0 too every
// score is 0. It also returns the median and the MAD used (0 in the
// fallback).
func ModifiedZ(xs []float64, relFloor float64) (z []float64, median, mad float64) {
	z = make([]float64, len(xs))
	if len(xs) == 0 {
		return z, math.NaN(), 0
	}
	tmp := slices.Clone(xs)
	median = Median(tmp)
	for i, x := range xs {
		tmp[i] = math.Abs(x - median)
	}
	if mad = Median(tmp); mad > 0 {
		mad = max(mad, relFloor*math.Abs(median))
		for i, x := range xs {
			z[i] = 0.6745 * (x - median) / mad
		}
		return z, median, mad
	}
	var mean float64
	for _, x := range xs {
		mean += math.Abs(x - median)
	}
	mean /= float64(len(xs))
	if mean == 0 {
		return z, median, 0
	}
	for i, x := range xs {
		z[i] = (x - median) / (1.253314 * mean)
	}
	return z, median, 0
}

// CriticalZ is the one-sided standard normal quantile for alpha: a z-score
// above it has a p-value below alpha.
func CriticalZ(alpha float64) float64 { return distuv.UnitNormal.Quantile(1 - alpha) }
