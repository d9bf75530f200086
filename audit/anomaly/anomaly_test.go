package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v (±%v)", what, got, want, tol)
	}
}

func TestLeadingDigits(t *testing.T) {
	cases := []struct {
		x        float64
		one, two int
	}{
		{123, 1, 12}, {999999, 9, 99}, {1000, 1, 10}, {10, 1, 10}, {0.0456, 4, 45},
		{99.99, 9, 99}, {1e15, 1, 10}, {-7.25e-5, 7, 72}, {20, 2, 20}, {0, 0, 0}, {math.Inf(1), 0, 0},
	}
	for _, c := range cases {
		if got := LeadingDigits(c.x, 1); got != c.one {
			t.Errorf("LeadingDigits(%v, 1) = %d, want %d", c.x, got, c.one)
		}
		if got := LeadingDigits(c.x, 2); got != c.two {
			t.Errorf("LeadingDigits(%v, 2) = %d, want %d", c.x, got, c.two)
		}
	}
}

// handDigits has 20 figures with first digits 1×6, 2×4, 3×2, 4×2, 5, 6, 7,
// 8 once and 9×2, and three that the tests ignore (below 10).
var handDigits = []float64{
	10, 11, 123, 1500, 19, 17.5, 20, 250, 2999, 21, 30, 345, 40, 4100, 50, 600, 70, 800, 90, 9100,
	1, 9.5, 0,
}

func TestBenfordHandComputed(t *testing.T) {
	r := Benford(handDigits, 1, 20)
	if r.N != 20 || r.DF != 8 {
		t.Fatalf("N=%d DF=%d, want 20 and 8", r.N, r.DF)
	}
	want := []int{6, 4, 2, 2, 1, 1, 1, 1, 2}
	for i, c := range want {
		if r.Counts[i] != c {
			t.Errorf("count of digit %d = %d, want %d", i+1, r.Counts[i], c)
		}
	}
	// By hand: Σ|p̂−p| = 0.16248 over 9 digits; Σ(O−E)²/E with E = 20·p.
	near(t, "MAD", r.MAD, 0.018053, 2e-5)
	near(t, "chi-square", r.ChiSquare, 1.7758, 2e-3)
	if r.Conformity != Nonconformity {
		t.Errorf("conformity = %s, want %s", r.Conformity, Nonconformity)
	}
	near(t, "p", r.P, 0.9873, 2e-3)
	if r.Fails(0.001) {
		t.Error("a chi-square of 1.8 on 8 degrees of freedom must not fail the test")
	}
	if r := Benford(handDigits, 1, 21); r.Conformity != TooFew || r.MAD != 0 || r.N != 20 {
		t.Errorf("under the minimum count: %+v, want too_few without statistics", r)
	}
}

func TestBenfordFirstTwoDigits(t *testing.T) {
	// 10, 11 and 12 once each: p̂ = 1/3 for each, 0 elsewhere.
	r := Benford([]float64{10, 110, 1200}, 2, 3)
	var mad float64
	for d := 10; d <= 99; d++ {
		p := math.Log10(1 + 1/float64(d))
		obs := 0.0
		if d <= 12 {
			obs = 1.0 / 3
		}
		mad += math.Abs(obs - p)
	}
	near(t, "MAD", r.MAD, mad/90, 1e-12)
	if r.DF != 89 || r.Conformity != Nonconformity || r.Threshold != 0.0022 {
		t.Errorf("df %d, conformity %s, threshold %v", r.DF, r.Conformity, r.Threshold)
	}
}

func TestBands(t *testing.T) {
	cases := []struct {
		b    Bands
		mad  float64
		want string
	}{
		{FirstDigitBands, 0.006, Close}, {FirstDigitBands, 0.0061, Acceptable}, {FirstDigitBands, 0.012, Acceptable},
		{FirstDigitBands, 0.0125, Marginal}, {FirstDigitBands, 0.015, Marginal}, {FirstDigitBands, 0.0151, Nonconformity},
		{FirstTwoDigitBands, 0.0012, Close}, {FirstTwoDigitBands, 0.0015, Acceptable}, {FirstTwoDigitBands, 0.002, Marginal},
		{FirstTwoDigitBands, 0.0023, Nonconformity},
	}
	for _, c := range cases {
		if got := c.b.Level(c.mad); got != c.want {
			t.Errorf("Level(%v) = %s, want %s", c.mad, got, c.want)
		}
	}
}

func TestBenfordConformingSample(t *testing.T) {
	// Figures whose log is uniform over several decades follow the law.
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 20000)
	for i := range xs {
		xs[i] = math.Pow(10, 1+4*rng.Float64())
	}
	r := Benford(xs, 1, 100)
	if r.Conformity != Close || r.Fails(0.001) {
		t.Errorf("Benford sample: %s, MAD %v, p %v", r.Conformity, r.MAD, r.P)
	}
	// Uniform first digits do not.
	for i := range xs {
		xs[i] = float64(1+rng.IntN(9))*100 + float64(rng.IntN(100))
	}
	if r := Benford(xs, 1, 100); !r.Fails(0.001) {
		t.Errorf("uniform first digits pass: MAD %v p %v", r.MAD, r.P)
	}
}

func TestLastDigitsHandComputed(t *testing.T) {
	r := LastDigits([]float64{10, 15, 20, 23, 31, 47, 5, 12.5, 100, 101})
	if r.N != 8 || r.Round != 4 {
		t.Fatalf("N=%d round=%d, want 8 and 4", r.N, r.Round)
	}
	// (4 − 0.2·8)/√(0.16·8) = 2.4/1.13137
	near(t, "share", r.Share, 0.5, 1e-12)
	near(t, "z", r.Z, 2.12132, 1e-5)
	// Σ_{j=4..8} C(8,j)·0.2^j·0.8^(8−j)
	near(t, "p", r.P, 0.0562816, 1e-7)
	near(t, "critical z at 0.001", CriticalZ(0.001), 3.090232, 1e-5)
}

// TestLastDigitsExactTail: the p-value is the binomial tail, summed by
// hand here, also far out where the normal approximation is off by orders
// of magnitude.
func TestLastDigitsExactTail(t *testing.T) {
	for _, c := range []struct {
		n, round int
		p        float64
	}{
		{69, 28, 7.29633858e-05},
		{100, 20, 0.53983863},
		{89, 89, 6.1897002e-63},
		{30, 0, 1},
	} {
		vals := make([]float64, c.n)
		for i := range vals {
			vals[i] = 11 // not round
			if i < c.round {
				vals[i] = 20
			}
		}
		r := LastDigits(vals)
		if r.N != c.n || r.Round != c.round || math.Abs(r.P-c.p) > 1e-8*c.p {
			t.Errorf("%d of %d round: N %d round %d p %.9g, want p %.9g", c.round, c.n, r.N, r.Round, r.P, c.p)
		}
	}
}

func TestModifiedZHandComputed(t *testing.T) {
	z, med, mad := ModifiedZ([]float64{1, 2, 3, 4, 100}, 0)
	near(t, "median", med, 3, 0)
	near(t, "MAD", mad, 1, 0)
	near(t, "z(100)", z[4], 0.6745*97, 1e-9)
	near(t, "z(1)", z[0], -1.349, 1e-9)
	// A floor of half the median raises the MAD to 1.5.
	z, _, mad = ModifiedZ([]float64{1, 2, 3, 4, 100}, 0.5)
	near(t, "floored MAD", mad, 1.5, 0)
	near(t, "floored z(100)", z[4], 0.6745*97/1.5, 1e-9)
	// MAD 0: (x − median)/(1.253314 · mean absolute deviation).
	z, _, mad = ModifiedZ([]float64{5, 5, 5, 5, 9}, 0.01)
	near(t, "fallback MAD", mad, 0, 0)
	near(t, "fallback z(9)", z[4], 4/(1.253314*0.8), 1e-9)
	z, _, _ = ModifiedZ([]float64{7, 7, 7}, 0)
	for _, s := range z {
		if s != 0 {
			t.Errorf("equal values: z = %v, want 0", z)
		}
	}
	near(t, "even median", Median([]float64{4, 1, 3, 2}), 2.5, 0)
}

func TestDuplicates(t *testing.T) {
	base := make([]float64, 20)
	for i := range base {
		base[i] = float64(100 + 7*i)
	}
	vary := func(k int, offset float64) []float64 {
		v := append([]float64(nil), base...)
		for i := 0; i < k; i++ {
			v[i*3] += offset
		}
		return v
	}
	other := make([]float64, 20)
	for i := range other {
		other[i] = float64(5000 + 13*i)
	}
	trivial := make([]float64, 20)
	for i := range trivial {
		trivial[i] = math.NaN()
	}
	vecs := [][]float64{base, vary(1, 1), other, vary(5, 2), trivial, trivial}
	o := DuplicateOptions{MinSame: 10, MaxDiffer: 0.1, Trivial: func(_ int, x float64) bool { return x < 10 }}
	got := Duplicates(len(vecs), rowOf(vecs), o)
	if len(got) != 1 || got[0].A != 0 || got[0].B != 1 || got[0].Same != 19 || got[0].Differ != 1 {
		t.Fatalf("Duplicates = %+v, want only vectors 0 and 1 (19 same, 1 different)", got)
	}
}

// TestDuplicatesFindsEveryNearCopy checks the pigeonhole argument: any pair
// within the allowed number of differences is found, wherever they are.
func TestDuplicatesFindsEveryNearCopy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const width = 60
	o := DuplicateOptions{MinSame: 10, MaxDiffer: 0.1}
	for trial := range 200 {
		a := make([]float64, width)
		for i := range a {
			a[i] = float64(10 + rng.IntN(100000))
		}
		b := append([]float64(nil), a...)
		k := rng.IntN(width/10 + 1) // at most 6 of 60 differ: 10 %
		for _, p := range rng.Perm(width)[:k] {
			b[p] += 1
		}
		noise := make([]float64, width)
		for i := range noise {
			noise[i] = float64(10 + rng.IntN(100000))
		}
		got := Duplicates(3, rowOf([][]float64{noise, a, b}), o)
		if len(got) != 1 || got[0].A != 1 || got[0].B != 2 || got[0].Differ != k {
			t.Fatalf("trial %d, %d differences: got %+v", trial, k, got)
		}
	}
}

// rowOf gives the rows of vecs one by one, as Duplicates and LogScales
// read them.
func rowOf(vecs [][]float64) func(k int) []float64 {
	return func(k int) []float64 { return vecs[k] }
}
