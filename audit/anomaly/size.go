package anomaly

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// LogScales estimates each unit's size from its count figures, robustly:
// the median over the indicators of log x − log(the indicator's median).
// row(k) holds the figures of unit k of n, of which the indicators cols are
// counts (NaN when absent). logMed[j] is the log of indicator cols[j]'s
// median over the units with a figure above 0, NaN when fewer than
// minUnits report one (estimated from the sample below) or the median is
// below minMedian; scale[k] is NaN
// for a unit with no figure above 0 of an indicator with a logMed. basis
// gives the scale of any unit of these figures (SizeBasis.LogScale).
//
// With more than scaleSample units the medians are those of evenly spaced
// units: an indicator's median only sets the level its residuals are
// centred on again (SizeResidualZ), and reading one column of every row
// costs a pass over the batch per indicator.
func LogScales(n int, row func(k int) []float64, cols []int, minUnits int, minMedian float64) (scale, logMed []float64, basis SizeBasis) {
	m := len(cols)
	logMed = make([]float64, m)
	step := max(1, n/scaleSample)
	// Room for the sample of an indicator, and for its median.
	buf := make([]float64, (n+step-1)/step)
	tmp := make([]float64, len(buf))
	for j, c := range cols {
		xs := buf[:0]
		for k := 0; k < n; k += step {
			if x := row(k)[c]; x > 0 {
				xs = append(xs, x)
			}
		}
		logMed[j] = math.NaN()
		if len(xs)*step >= minUnits && len(xs) > 0 {
			if med := medianOf(xs, len(xs), false, 0, tmp); med >= minMedian && med > 0 {
				logMed[j] = math.Log(med)
			}
		}
	}
	// The median of the log-ratios is the log of the median of the
	// ratios: one logarithm per unit. On a large form, scaleIndicators
	// evenly spaced indicators with a median are enough for a median.
	var use []int
	for j := range m {
		if !math.IsNaN(logMed[j]) {
			use = append(use, j)
		}
	}
	if len(use) > scaleIndicators {
		picked := make([]int, scaleIndicators)
		for i := range picked {
			picked[i] = use[i*len(use)/scaleIndicators]
		}
		use = picked
	}
	basis = SizeBasis{med: make([]float64, len(use)), at: make([]int, len(use))}
	for i, j := range use {
		basis.med[i], basis.at[i] = math.Exp(logMed[j]), cols[j]
	}
	scale = make([]float64, n)
	for k := range n {
		scale[k] = basis.LogScale(row(k))
	}
	return scale, logMed, basis
}

// SizeBasis is what LogScales measures a unit's size against: the
// indicators (at most scaleIndicators) whose median ratio is the size,
// and their medians.
type SizeBasis struct {
	at  []int
	med []float64
}

// LogScale is the log size of a unit of figures row, as LogScales gives
// it: NaN when none of the basis' indicators is above 0.
func (b *SizeBasis) LogScale(row []float64) float64 {
	var ratios [scaleIndicators]float64
	rs := ratios[:0]
	for i, c := range b.at {
		if x := row[c]; x > 0 {
			rs = append(rs, x/b.med[i])
		}
	}
	if len(rs) == 0 {
		return math.NaN()
	}
	// The median by insertion sort: a unit has at most scaleIndicators
	// ratios, too few for a selection to pay (it took half the time of
	// LogScales). The ratios of figures above 0 to medians above 0 are
	// not NaN, so < orders them as medianOf does.
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j] < rs[j-1]; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
	m := len(rs) / 2
	if len(rs)%2 == 1 {
		return math.Log(rs[m])
	}
	return math.Log((rs[m-1] + rs[m]) / 2)
}

// scaleSample bounds the units LogScales takes an indicator's median from;
// scaleIndicators the indicators a unit's size is the median over.
const (
	scaleSample     = 4096
	scaleIndicators = 24
)

// SizeResidualZ scores the figures xs of one indicator against what units
// of their size report: the residual r = log x − logMed − scale, centred
// on its median over the units and divided by its spread. The spread is
// the residuals' MAD/0.6745 (at least minSpread) with the chance variation
// of a small count added: a count near c varies by about 1/√c in log, as
// a Poisson count does, so a district reporting 3 where its size predicts
// 2 is no outlier. size[k] is exp(scale[k]). z[k] is NaN where x ≤ 0 or
// scale is NaN; z must be as long as xs. buf is scratch space, best
// SelectScratch(len(xs)) long: shorter, it is allocated. It returns the
// number of figures scored.
func SizeResidualZ(z, xs, scale, size []float64, logMed, minSpread float64, buf []float64) int {
	if len(buf) < SelectScratch(len(xs)) {
		buf = make([]float64, SelectScratch(len(xs)))
	}
	n := 0
	for k, x := range xs {
		z[k] = math.NaN()
		if x > 0 && !math.IsNaN(scale[k]) {
			z[k] = math.Log(x) - logMed - scale[k]
			n += b2i(z[k] == z[k])
		}
	}
	if n == 0 {
		return 0
	}
	// The medians of the residuals are taken among z, whose NaN are not
	// residuals.
	med := medianOf(z, n, false, 0, buf)
	spread := max(medianOf(z, n, true, med, buf)/0.6745, minSpread)
	typical := math.Exp(logMed + med)
	for k, res := range z {
		if math.IsNaN(res) {
			continue
		}
		c := max(xs[k], typical*size[k], 1)
		z[k] = (res - med) / math.Sqrt(spread*spread+1/c)
	}
	return n
}

// NormalTwoSided is the two-sided p-value of a z-score.
func NormalTwoSided(z float64) float64 { return 2 * distuv.UnitNormal.Survival(math.Abs(z)) }

// CriticalTwoSided is the |z| above which the two-sided p-value is below
// alpha.
func CriticalTwoSided(alpha float64) float64 { return distuv.UnitNormal.Quantile(1 - alpha/2) }
