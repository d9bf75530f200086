package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

// roundingDirect is rounding as first written: every tail's moments and
// Chernoff terms computed, none looked up.
func roundingDirect(t []int, tails [][]float64) RoundingResult {
	r := RoundingResult{N: len(t), P: 1}
	var variance float64
	for i, ti := range t {
		tl := tails[i]
		r.Zeros += ti
		if ti < len(tl) && tl[ti] > 0 {
			r.Score += negLog(tl, ti)
		}
		var m1, m2 float64
		for k := 1; k < len(tl) && tl[k] > 0; k++ {
			r.Expected += tl[k]
			pk := tl[k] - nextTail(tl, k)
			x := negLog(tl, k)
			m1 += pk * x
			m2 += pk * x * x
		}
		r.Mean += m1
		variance += m2 - m1*m1
	}
	if r.Score <= r.Mean+3*math.Sqrt(variance) {
		return r
	}
	best := 0.0
	var honest [MaxZeros + 1]float64
	for _, l := range chernoffLambdas {
		for k := range honest {
			honest[k] = math.Exp(l * float64(k) * math.Ln10)
		}
		logb := -l * r.Score
		for _, tl := range tails {
			m := 1 - nextTail(tl, 0)
			for k := 1; k < len(tl) && tl[k] > 0; k++ {
				w := honest[k]
				if tl[k] != negPow10[k] {
					w = math.Exp(l * negLog(tl, k))
				}
				m += (tl[k] - nextTail(tl, k)) * w
			}
			logb += math.Log(m)
		}
		best = min(best, logb)
	}
	r.P = math.Exp(best)
	return r
}

// randomUnit is a unit's figures for the rounding test: trailing zeros
// and tails, honest or raised (a commonly round indicator), many rounded
// when rounded is set.
func randomUnit(rng *rand.Rand, rounded bool) (ts []int, tails [][]float64) {
	for range 1 + rng.IntN(40) {
		d := 2 + rng.IntN(14)
		n := min(d, MaxZeros+1)
		tl := append([]float64(nil), negPow10[:n]...)
		if rng.IntN(3) == 0 { // raised tails, kept decreasing
			for k := 1; k < n; k++ {
				tl[k] = min(tl[k-1], tl[k]*(1+rng.Float64()*50))
			}
			if rng.IntN(4) == 0 {
				tl[n-1] = 0
			}
		}
		z := 0
		if rounded && rng.IntN(2) == 0 || rng.IntN(10) == 0 {
			z = 1 + rng.IntN(n-1)
		}
		ts, tails = append(ts, z), append(tails, tl)
	}
	return ts, tails
}

func TestRoundingMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	bounded := 0
	for i := range 20000 {
		ts, tails := randomUnit(rng, i%2 == 0)
		got, want := rounding(ts, tails), roundingDirect(ts, tails)
		if got != want && !(same(got.P, want.P) && got.N == want.N && got.Zeros == want.Zeros &&
			same(got.Expected, want.Expected) && same(got.Score, want.Score) && same(got.Mean, want.Mean)) {
			t.Fatalf("unit %d (t %v, tails %v): rounding = %+v, direct %+v", i, ts, tails, got, want)
		}
		bounded += b2i(want.P < 1)
	}
	if bounded < 1000 {
		t.Errorf("only %d of 20,000 units reached Chernoff's bound", bounded)
	}
}
