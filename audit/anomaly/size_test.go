package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sizedUnits are n units whose figures of m indicators are base[j]·size
// with 3 % noise, sizes log-uniform over a span of 40; cols are those
// figures column by column, idx the indicators.
func sizedUnits(rng *rand.Rand, n, m int) (rows [][]float64, cols []float64, idx []int, sizes []float64) {
	rows = make([][]float64, n)
	cols = make([]float64, n*m)
	sizes = make([]float64, n)
	for j := range m {
		idx = append(idx, j)
	}
	for k := range n {
		sizes[k] = 0.15 * math.Pow(40, rng.Float64())
		rows[k] = make([]float64, m)
		for j := range m {
			base := 100 * math.Pow(10, float64(j%4))
			rows[k][j] = math.Round(base * sizes[k] * (1 + 0.03*(2*rng.Float64()-1)))
		}
	}
	fill(rows, cols)
	return rows, cols, idx, sizes
}

// fill copies rows into cols, column by column.
func fill(rows [][]float64, cols []float64) {
	n := len(rows)
	for k, r := range rows {
		for j, x := range r {
			cols[j*n+k] = x
		}
	}
}

func TestLogScalesRecoverSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, m := 60, 12
	rows, _, idx, sizes := sizedUnits(rng, n, m)
	scale, logMed, basis := LogScales(len(rows), rowOf(rows), idx, 10, 10)
	if len(logMed) != m {
		t.Fatalf("%d log medians, want %d", len(logMed), m)
	}
	// The scales are the log sizes up to a constant (the median unit's).
	shift := scale[0] - math.Log(sizes[0])
	for k := range n {
		near(t, "scale", scale[k]-shift, math.Log(sizes[k]), 0.04)
		// The basis gives any one unit the scale LogScales gave it.
		if got := basis.LogScale(rows[k]); got != scale[k] {
			t.Errorf("unit %d: LogScale %v, LogScales %v", k, got, scale[k])
		}
	}
}

func TestSizeResidualZFindsATypoInAnyUnit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n, m := 40, 12
	rows, cols, idx, sizes := sizedUnits(rng, n, m)
	small, big := 0, 0
	for k := range n {
		if sizes[k] < sizes[small] {
			small = k
		}
		if sizes[k] > sizes[big] {
			big = k
		}
	}
	j := 5
	rows[small][j] *= 10
	rows[big][j] *= 10
	fill(rows, cols)
	scale, logMed, _ := LogScales(len(rows), rowOf(rows), idx, 10, 10)
	size := make([]float64, n)
	for k := range size {
		size[k] = math.Exp(scale[k])
	}
	for jj := range m {
		z := make([]float64, n)
		if got := SizeResidualZ(z, cols[jj*n:(jj+1)*n], scale, size, logMed[jj], 0.05, nil); got != n {
			t.Fatalf("indicator %d: %d scored, want %d", jj, got, n)
		}
		for k, s := range z {
			typo := jj == j && (k == small || k == big)
			if typo && s < 20 {
				t.Errorf("×10 in unit %d (size %.2f): z = %.1f, want > 20", k, sizes[k], s)
			}
			if !typo && math.Abs(s) > 3 {
				t.Errorf("clean figure of unit %d (size %.2f), indicator %d: z = %.1f", k, sizes[k], jj, s)
			}
		}
	}
}

func TestSizeResidualZSmallCounts(t *testing.T) {
	// A unit reporting 3 where its size predicts 1.5 is no outlier: the
	// chance variation of a count of 3 is about 1/√3 in log.
	xs := []float64{1, 2, 2, 3, 1, 2, 2, 1, 2, 3, 3}
	scale := make([]float64, len(xs))
	size := make([]float64, len(xs))
	for i := range size {
		size[i] = 1
	}
	z := make([]float64, len(xs))
	SizeResidualZ(z, xs, scale, size, math.Log(2), 0.05, nil)
	for i, s := range z {
		if math.Abs(s) > 2 {
			t.Errorf("count %v: z = %.2f", xs[i], s)
		}
	}
}

func TestTrailingZeros(t *testing.T) {
	cases := []struct {
		x    float64
		t, d int
	}{
		{10, 1, 2}, {3200, 2, 4}, {72000, 3, 5}, {430, 1, 3}, {1234, 0, 4}, {99, 0, 2}, {100, 2, 3},
		{999999, 0, 6}, {1000000, 6, 7}, {-500, 2, 3}, {9.5, 0, 0}, {12.5, 0, 0}, {5, 0, 0}, {1e15, 0, 0}, {math.NaN(), 0, 0},
	}
	for _, c := range cases {
		if tz, d := TrailingZeros(c.x); tz != c.t || d != c.d {
			t.Errorf("TrailingZeros(%v) = %d, %d; want %d, %d", c.x, tz, d, c.t, c.d)
		}
	}
}

// honestTails are the tails of a figure of d digits with uniform last
// digits.
func honestTails(d int) []float64 {
	tl := make([]float64, d)
	for k := range tl {
		tl[k] = math.Pow(10, -float64(k))
	}
	return tl
}

func TestRounding(t *testing.T) {
	// Ten four-digit figures all rounded to two significant digits: each
	// ends in 00 (chance 1 %), together about 1e-20.
	var ts []int
	var tails [][]float64
	for range 10 {
		ts, tails = append(ts, 2), append(tails, honestTails(4))
	}
	if r := Rounding(ts, tails); r.P > 1e-12 || r.Zeros != 20 {
		t.Errorf("ten figures ending in 00: %+v, want P ≤ 1e-12", r)
	}
	// Ten figures each ending in one 0: the count statistic, exact, gives
	// about 1e-10 (Chernoff's bound on the score alone gave 4e-6).
	for i := range ts {
		ts[i] = 1
	}
	if r := Rounding(ts, tails); r.P > 1e-8 {
		t.Errorf("ten figures ending in 0: P = %g, want ≤ 1e-8", r.P)
	}
	// Honest figures: 100 with uniform last digits are never flagged.
	rng := rand.New(rand.NewPCG(5, 6))
	worst := 1.0
	for range 2000 {
		ts, tails = ts[:0], tails[:0]
		for range 100 {
			x := float64(1000 + rng.IntN(9000))
			z, d := TrailingZeros(x)
			ts, tails = append(ts, z), append(tails, honestTails(d))
		}
		worst = min(worst, Rounding(ts, tails).P)
	}
	if worst < 1e-4 {
		t.Errorf("2,000 honest units: smallest P = %g, want ≥ 1e-4", worst)
	}
}

func TestZeroTailsBaseline(t *testing.T) {
	// An indicator every unit reports in whole hundreds: its share, not
	// 1 %, is the chance of two zeros.
	var all, own ZeroTails
	for range 99 {
		all.Add(2)
	}
	all.Add(0)
	own.Add(2)
	if got := all.Tail(&own, 2, 4); got < 0.8 {
		t.Errorf("Tail = %v, want the batch's share (about 0.99, less the margin)", got)
	}
	// A few rounding units among honest ones do not raise it.
	var mixed ZeroTails
	for i := range 100 {
		if i < 3 {
			mixed.Add(2)
		} else {
			mixed.Add(0)
		}
	}
	if got := mixed.Tail(&ZeroTails{N: [MaxZeros + 1]int{1}}, 2, 4); got != 0.01 {
		t.Errorf("Tail = %v, want the honest 0.01", got)
	}
}

func TestMatchChanceAndCopyP(t *testing.T) {
	cases := []struct {
		others, reporting int
		x, lo, hi         float64
	}{
		{0, 40, 0, 1, 1},           // 0 carries no evidence
		{0, 40, 1, 1, 1},           // nor does 1
		{0, 40, 3017, 0.012, 0.02}, // a four-digit figure: the share floor 0.5/41
		{0, 100000, 3017, 0.0016, 0.0017},
		{0, 100000, 3200, 0.15, 0.16}, // rounding: a step of 100
		{0, 100000, 3000, 1, 1},       // a step of 1000 in 3000: no evidence
		{0, 100000, 95.5, 0.005, 0.006},
		{30, 40, 8200, 0.7, 0.8}, // a template figure most units report
	}
	for _, c := range cases {
		if got := MatchChance(c.others, c.reporting, c.x); got < c.lo || got > c.hi {
			t.Errorf("MatchChance(%d, %d, %v) = %v, want in [%v, %v]", c.others, c.reporting, c.x, got, c.lo, c.hi)
		}
	}
	// Eleven equal figures of 0 or 1: no evidence at all.
	ones := make([]float64, 11)
	for i := range ones {
		ones[i] = MatchChance(0, 40, float64(i%2))
	}
	if l := CopyP(ones, 0); l != 0 {
		t.Errorf("log10 CopyP of 0s and 1s = %v, want 0", l)
	}
	// Eleven equal four-digit figures among 40 units: about 10^−21; one
	// figure different multiplies by C(12, 1) = 12.
	ps := make([]float64, 11)
	for i := range ps {
		ps[i] = 0.5 / 41
	}
	near(t, "log10 CopyP", CopyP(ps, 0), 11*math.Log10(0.5/41), 1e-9)
	near(t, "log10 CopyP, one differs", CopyP(ps, 1), 11*math.Log10(0.5/41)+math.Log10(12), 1e-9)
}

func TestSpread(t *testing.T) {
	narrow := []float64{7600, 8100, 8900, 7700, 8400, 8000, 7900, 8800, 8500, 8300}
	if s := Spread(narrow, nil); s > 0.1 {
		t.Errorf("funding 7,600–8,900 spans %v orders, want under 0.1", s)
	}
	var wide []float64
	for i := range 1000 {
		wide = append(wide, 10*math.Pow(10, 4*float64(i)/1000))
	}
	if s := Spread(wide, nil); math.Abs(s-3.6) > 0.05 {
		t.Errorf("log-uniform over 4 orders: spread %v, want 3.6", s)
	}
}

func TestDispersion(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	chi := make([]float64, 2000)
	for i := range chi {
		var s float64
		for range 8 {
			z := rng.NormFloat64()
			s += z * z
		}
		chi[i] = 2 * s // twice as dispersed as a chi-square with 8 degrees
	}
	near(t, "dispersion", Dispersion(chi, 8), 2, 0.15)
	if d := Dispersion(nil, 8); d != 1 {
		t.Errorf("Dispersion of nothing = %v, want 1", d)
	}
}

func TestMaybeRounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	ts, ds := make([]int, 80), make([]int, 80)
	gated := 0
	for range 1000 {
		for i := range ts {
			ts[i], ds[i] = TrailingZeros(float64(100 + rng.IntN(90000)))
		}
		if MaybeRounded(ts, ds) {
			gated++
		}
	}
	if gated > 30 {
		t.Errorf("%d of 1,000 honest units pass the gate, want a few", gated)
	}
	for i := range ts {
		ts[i], ds[i] = 1, 4 // every figure ends in one 0
	}
	if !MaybeRounded(ts, ds) {
		t.Error("figures all ending in 0 do not pass the gate")
	}
}

// TestLogScaleMatchesMedian holds LogScale's median by insertion sort to
// the selection medianOf makes (Median), bit for bit, on bases of 1 to
// scaleIndicators indicators and rows with ties, zeros and absent figures.
func TestLogScaleMatchesMedian(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, width := range []int{1, 2, 3, 6, 11, 12, 13, scaleIndicators} {
		b := SizeBasis{med: make([]float64, width), at: make([]int, width)}
		for i := range width {
			b.med[i], b.at[i] = math.Round(rng.ExpFloat64()*500)+1, 2*i
		}
		row := make([]float64, 2*width)
		for range 2000 {
			for c := range row {
				switch r := rng.Float64(); {
				case r < 0.1:
					row[c] = math.NaN()
				case r < 0.2:
					row[c] = 0
				case r < 0.4:
					row[c] = 100 // ties
				default:
					row[c] = math.Round(rng.ExpFloat64() * 1000)
				}
			}
			var ratios []float64
			for i, c := range b.at {
				if row[c] > 0 {
					ratios = append(ratios, row[c]/b.med[i])
				}
			}
			want := math.NaN()
			if len(ratios) > 0 {
				want = math.Log(Median(ratios))
			}
			if got := b.LogScale(row); math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("width %d, row %v: LogScale %v, want %v", width, row, got, want)
			}
		}
	}
}
