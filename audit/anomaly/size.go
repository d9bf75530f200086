package anomaly

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// LogScales estimates each unit's size from its count figures, robustly:
// the median over the indicators of log x − log(the indicator's median).
// cols holds the figures column by column, cols[j*n+k] being indicator j
// of unit k (NaN when absent). logMed[j] is the log of indicator j's
// median over the units with a figure above 0, NaN when fewer than
// minUnits report one or the median is below minMedian; scale[k] is NaN
// for a unit with no figure above 0 of an indicator with a logMed. buf is
// scratch space as long as cols, or nil.
func LogScales(cols []float64, n, minUnits int, minMedian float64, buf []float64) (scale, logMed []float64) {
	m := 0
	if n > 0 {
		m = len(cols) / n
	}
	if len(buf) < max(n, m) {
		buf = make([]float64, max(n, m))
	}
	logMed = make([]float64, m)
	tmp := make([]float64, max(n, m))
	for j := range m {
		xs := buf[:0]
		for _, x := range cols[j*n : (j+1)*n] {
			if x > 0 {
				xs = append(xs, x)
			}
		}
		logMed[j] = math.NaN()
		if len(xs) >= minUnits {
			if med := medianOf(xs, false, 0, tmp); med >= minMedian && med > 0 {
				logMed[j] = math.Log(med)
			}
		}
	}
	scale = make([]float64, n)
	for k := range n {
		rs := buf[:0]
		for j := range m {
			if x := cols[j*n+k]; x > 0 && !math.IsNaN(logMed[j]) {
				rs = append(rs, math.Log(x)-logMed[j])
			}
		}
		scale[k] = math.NaN()
		if len(rs) > 0 {
			scale[k] = medianOf(rs, false, 0, tmp)
		}
	}
	return scale, logMed
}

// SizeResidualZ scores the figures xs of one indicator against what units
// of their size report: the residual r = log x − logMed − scale, centred
// on its median over the units and divided by its spread. The spread is
// the residuals' MAD/0.6745 (at least minSpread) with the chance variation
// of a small count added: a count near c varies by about 1/√c in log, as
// a Poisson count does, so a district reporting 3 where its size predicts
// 2 is no outlier. size[k] is exp(scale[k]). z[k] is NaN where x ≤ 0 or
// scale is NaN; z must be as long as xs. It returns the number of figures
// scored.
func SizeResidualZ(z, xs, scale, size []float64, logMed, minSpread float64) int {
	r := make([]float64, 0, len(xs))
	for k, x := range xs {
		z[k] = math.NaN()
		if x > 0 && !math.IsNaN(scale[k]) {
			z[k] = math.Log(x) - logMed - scale[k]
			r = append(r, z[k])
		}
	}
	if len(r) == 0 {
		return 0
	}
	buf := make([]float64, len(r))
	med := medianOf(r, false, 0, buf)
	spread := max(medianOf(r, true, med, buf)/0.6745, minSpread)
	typical := math.Exp(logMed + med)
	for k, res := range z {
		if math.IsNaN(res) {
			continue
		}
		c := max(xs[k], typical*size[k], 1)
		z[k] = (res - med) / math.Sqrt(spread*spread+1/c)
	}
	return len(r)
}

// NormalTwoSided is the two-sided p-value of a z-score.
func NormalTwoSided(z float64) float64 { return 2 * distuv.UnitNormal.Survival(math.Abs(z)) }

// CriticalTwoSided is the |z| above which the two-sided p-value is below
// alpha.
func CriticalTwoSided(alpha float64) float64 { return distuv.UnitNormal.Quantile(1 - alpha/2) }
