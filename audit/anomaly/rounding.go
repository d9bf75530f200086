package anomaly

import (
	"math"
	"strconv"
	"strings"
)

// MaxZeros bounds the trailing zeros counted in a figure.
const MaxZeros = 12

// TrailingZeros returns the number of trailing zeros of |x| and its number
// of digits, when |x| is a whole number from 10 to 1e15; otherwise d = 0:
// the figure is not scored. A figure with decimals is left out rather
// than scored as ending in no 0: given that a figure is whole, its last
// digits are as likely 0 as anything else under honest reporting, so the
// test conditions on it.
func TrailingZeros(x float64) (t, d int) {
	x = math.Abs(x)
	if !(x >= 10) || x >= 1e15 {
		return 0, 0
	}
	if x != math.Trunc(x) {
		return 0, 0
	}
	// The decimal exponent from the binary one, as in leadingTwo.
	e := (int(math.Float64bits(x)>>52) - 1023) * 78913 >> 18
	e += b2i(x >= pow10[e+1])
	d = e + 1
	v := int64(x)
	for v%10 == 0 && t < MaxZeros {
		v /= 10
		t++
	}
	return t, d
}

// ZeroTails are, for one indicator, how many scored figures have at least
// t trailing zeros (N[0] is all of them).
type ZeroTails struct {
	N [MaxZeros + 1]int
}

// Add counts a figure with t trailing zeros.
func (z *ZeroTails) Add(t int) {
	for k := 0; k <= t; k++ {
		z.N[k]++
	}
}

// Tail is the chance under honest reporting that a figure of d digits of
// this indicator has at least t trailing zeros: 10^−t for t < d (last
// digits uniform), 0 beyond; raised to the share seen among the other
// units' figures (all but own, the unit's own tails) when that is
// clearly higher — a template figure everyone copies, a count of whole
// hundreds. "Clearly": the share less three standard errors and the
// figures of two units, so that a few rounding units among 50 do not hide
// each other. With under 20 other figures the share is not used. The
// caller keeps the tails decreasing in t.
func (z *ZeroTails) Tail(own *ZeroTails, t, d int) float64 {
	if t == 0 {
		return 1
	}
	honest := 0.0
	if t < d {
		honest = pow10neg(t)
	}
	others := float64(z.N[0] - own.N[0])
	if others < 20 {
		return honest
	}
	share := float64(z.N[t]-own.N[t]) / others
	if share <= honest {
		return honest
	}
	q := pow10neg(t)
	perUnit := float64(max(own.N[0], 1))
	return max(honest, share-3*math.Sqrt(q*(1-q)/others)-2*perUnit/others)
}

func pow10neg(t int) float64 { return negPow10[t] }

// RoundingResult is the test of one unit's figures for rounding.
type RoundingResult struct {
	// N is how many figures were scored, Zeros their trailing zeros in all
	// and Expected the number expected under honest reporting.
	N, Zeros int
	Expected float64
	// Score is Σ −ln tail over the figures: the evidence of rounding.
	// Mean is its expected value under honest reporting.
	Score, Mean float64
	// P bounds the chance of evidence this strong under honest reporting
	// (never too small; see Rounding).
	P float64
}

// Rounding tests a unit's figures for rounding by magnitude: figure i
// has t[i] trailing zeros and tails[i][k] is the chance of at least k
// under honest reporting (tails[i][0] = 1, decreasing). Two statistics
// are combined, as two kinds of rounding leave different traces:
//
//   - the score Σ −ln tails[i][t[i]], strongest when figures end in many
//     zeros (3200, 72000: rounded to two significant digits), its tail
//     bounded by Chernoff's inequality, min over λ of
//     exp(−λ·score)·Π E[exp(λ·X_i)];
//   - the number of figures ending in at least one 0, strongest when
//     every figure ends in one (rounded to tens), its tail exact.
//
// P is twice the smaller tail (Bonferroni over the two). Each is computed
// only when its statistic is more than 3 standard deviations above its
// mean, and is 1 otherwise: no honest unit strays that far by chance.
func Rounding(t []int, tails [][]float64) RoundingResult {
	r := rounding(t, tails)
	r.P = min(1, 2*min(r.P, roundCount(t, tails)))
	if math.IsNaN(r.P) {
		r.P = 1
	}
	return r
}

// rounding is Rounding by the score alone.
func rounding(t []int, tails [][]float64) RoundingResult {
	r := RoundingResult{N: len(t), P: 1}
	var variance float64
	for i, ti := range t {
		tl := tails[i]
		r.Zeros += ti
		if ti < len(tl) && tl[ti] > 0 {
			r.Score += negLog(tl, ti)
		}
		var m [2]float64
		if honestTail(tl) {
			for k := 1; k < len(tl); k++ {
				r.Expected += tl[k]
			}
			m = honestScores[len(tl)].moments
		} else {
			m = tailMoments(tl, &r.Expected)
		}
		r.Mean += m[0]
		variance += m[1] - m[0]*m[0]
	}
	if r.Score <= r.Mean+3*math.Sqrt(variance) {
		return r
	}
	// Any λ in (0, 1) gives a bound; a few spread over the range come
	// within a small factor of the best. Each λ's bound sums its terms
	// in the order of the tails.
	var logb [len(chernoffLambdas)]float64
	for j, l := range chernoffLambdas {
		logb[j] = -l * r.Score
	}
	for _, tl := range tails {
		if honestTail(tl) {
			for j, lm := range honestScores[len(tl)].logMGF {
				logb[j] += lm
			}
			continue
		}
		for j := range logb {
			logb[j] += logMGF(tl, j)
		}
	}
	best := 0.0
	for _, lb := range logb {
		best = min(best, lb)
	}
	r.P = math.Exp(best)
	return r
}

// tailMoments are the mean and the mean square of the score of a figure
// whose tails are tl; it adds the figure's expected zeros to expected.
// The score X takes −ln tl[k] with probability tl[k] − tl[k+1].
func tailMoments(tl []float64, expected *float64) (m [2]float64) {
	for k := 1; k < len(tl) && tl[k] > 0; k++ {
		*expected += tl[k]
		pk := tl[k] - nextTail(tl, k)
		x := negLog(tl, k)
		m[0] += pk * x
		m[1] += pk * x * x
	}
	return m
}

// logMGF is ln E[exp(λX)] for the score X of a figure whose tails are tl
// and λ = chernoffLambdas[j]: ln Σ_k (tl[k] − tl[k+1])·tl[k]^−λ.
func logMGF(tl []float64, j int) float64 {
	m := 1 - nextTail(tl, 0)
	for k := 1; k < len(tl) && tl[k] > 0; k++ {
		w := chernoffHonest[j][k]
		if tl[k] != negPow10[k] {
			w = math.Exp(chernoffLambdas[j] * negLog(tl, k))
		}
		m += (tl[k] - nextTail(tl, k)) * w
	}
	return math.Log(m)
}

// chernoffHonest[j][k] is 10^(kλ), tl[k]^−λ for an honest tail, λ =
// chernoffLambdas[j].
var chernoffHonest = func() (h [len(chernoffLambdas)][MaxZeros + 1]float64) {
	for j, l := range chernoffLambdas {
		for k := range h[j] {
			h[j][k] = math.Exp(l * float64(k) * math.Ln10)
		}
	}
	return h
}()

// honestScores[n] are tailMoments and logMGF of the honest tails of n
// digits, 10^−k for k < n (most figures' tails), computed once: rounding
// sums them as it would the computed ones.
var honestScores = func() (h [MaxZeros + 2]struct {
	moments [2]float64
	logMGF  [len(chernoffLambdas)]float64
}) {
	for n := 1; n < len(h); n++ {
		tl := negPow10[:n]
		var expected float64
		h[n].moments = tailMoments(tl, &expected)
		for j := range chernoffLambdas {
			h[n].logMGF[j] = logMGF(tl, j)
		}
	}
	return h
}()

// honestTail reports whether tl is the honest tail 10^−k, k < len(tl),
// of honestScores.
func honestTail(tl []float64) bool {
	if len(tl) == 0 || len(tl) > len(negPow10) {
		return false
	}
	for k, x := range tl {
		if x != negPow10[k] {
			return false
		}
	}
	return true
}

// honestMoments are, for a figure of d digits with honest last digits,
// the mean and variance of its score −ln 10^−t = t·ln 10.
var honestMoments = func() (m [16][2]float64) {
	for d := 2; d < len(m); d++ {
		for k := 1; k < d; k++ {
			p := negPow10[min(k, MaxZeros)]
			if k+1 < d {
				p -= negPow10[min(k+1, MaxZeros)]
			}
			x := float64(k) * math.Ln10
			m[d][0] += p * x
			m[d][1] += p * x * x
		}
		m[d][1] -= m[d][0] * m[d][0]
	}
	return m
}()

// MaybeRounded is a cheap gate before Rounding: whether figures with t[i]
// trailing zeros of d[i] digits have more zeros than honest last digits
// give, by more than 3 standard deviations, by either of Rounding's
// statistics. Rounding's tails are at least the honest ones (a batch
// where round figures are common only raises them), which makes its
// evidence weaker still: a unit the gate turns away would not be found.
func MaybeRounded(t, d []int) bool {
	var score, mean, variance float64
	count := 0
	for i, ti := range t {
		di := min(d[i], len(honestMoments)-1)
		score += float64(ti) * math.Ln10
		mean += honestMoments[di][0]
		variance += honestMoments[di][1]
		count += b2i(ti > 0)
	}
	n := float64(len(t)) // each figure of 2 digits or more ends in 0 one time in ten
	return score > mean+3*math.Sqrt(variance) || float64(count) > 0.1*n+3*math.Sqrt(0.09*n)
}

// roundCount is the tail of the number of figures ending in at least one
// 0, whose chances are tails[i][1]: exact (a Poisson-binomial
// convolution) when the count is more than 3 standard deviations above
// its mean, else 1.
func roundCount(t []int, tails [][]float64) float64 {
	k := 0
	var mean, variance float64
	for i, ti := range t {
		q := tail1(tails[i])
		mean += q
		variance += q * (1 - q)
		if ti >= 1 {
			k++
		}
	}
	if float64(k) <= mean+3*math.Sqrt(variance) {
		return 1
	}
	// dist[c] is the chance of c round figures among those seen so far,
	// the last cell holding k or more.
	var buf [64]float64 // no allocation for the few figures of most units
	dist := buf[:0]
	if k+1 > len(buf) {
		dist = make([]float64, 0, k+1)
	}
	dist = dist[:k+1]
	dist[0] = 1
	for i := range t {
		q := tail1(tails[i])
		for c := k; c >= 0; c-- {
			stay := dist[c] * (1 - q)
			if c == k {
				stay = dist[c] // k or more stays k or more
			}
			up := 0.0
			if c > 0 {
				up = dist[c-1] * q
			}
			dist[c] = stay + up
		}
	}
	return dist[k]
}

func tail1(tl []float64) float64 {
	if len(tl) > 1 {
		return tl[1]
	}
	return 0
}

// chernoffLambdas are the λ of Chernoff's bound tried by rounding.
var chernoffLambdas = [...]float64{0.2, 0.4, 0.6, 0.75, 0.85, 0.92, 0.97}

// negPow10 holds 10^−k, the honest tails.
var negPow10 = func() (t [MaxZeros + 1]float64) {
	for k := range t {
		t[k] = 1 / pow10[k]
	}
	return t
}()

// negLog is −ln tl[k]: k·ln 10 for the honest tail 10^−k, which most
// are, without a logarithm.
func negLog(tl []float64, k int) float64 {
	if tl[k] == negPow10[k] {
		return float64(k) * math.Ln10
	}
	return -math.Log(tl[k])
}

func nextTail(tl []float64, k int) float64 {
	if k+1 < len(tl) {
		return tl[k+1]
	}
	return 0
}

// Resolution is the step at which a figure appears to be reported: 10^t
// for a whole number with t trailing zeros, 10^−k for one with k decimals
// (as the shortest decimal that reads back to it writes it).
func Resolution(x float64) float64 {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		step := 1.0
		for v := int64(math.Abs(x)); v != 0 && v%10 == 0; v /= 10 {
			step *= 10
		}
		return step
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return math.Pow10(-(len(s) - i - 1))
	}
	return 1
}
