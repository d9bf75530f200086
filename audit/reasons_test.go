package audit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestAppendersAsFmt: the appends that write the findings' reasons give
// the text the fmt verbs they replace gave, edge values included.
func TestAppendersAsFmt(t *testing.T) {
	// pow10Old is pow10Text as it was written with fmt.
	pow10Old := func(l float64) string {
		if l > -4 {
			return fmt.Sprintf("%.2g", math.Pow(10, l))
		}
		e := math.Floor(l)
		return fmt.Sprintf("%.1f×10^%d", math.Pow(10, l-e), int(e))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 0.05, 0.00005, 0.99995, 9.99995, 1e-300, 5e-324, 1e21, -1e21,
		123456789012, 0.1 + 0.2, math.Inf(1), math.Inf(-1), math.NaN(), -4, -4.0000001, -3.9999999, -400.5}
	for range 20000 {
		xs = append(xs, math.Pow(10, 40*rng.Float64()-30)*float64(1-2*rng.IntN(2)), math.Round(rng.NormFloat64()*1e6)/100)
	}
	for _, x := range xs {
		if got, want := string(appendG2(nil, x)), fmt.Sprintf("%.2g", x); got != want {
			t.Errorf("appendG2(%v) = %q, want %q", x, got, want)
		}
		if got, want := string(appendFV(nil, x)), fv(x); got != want {
			t.Errorf("appendFV(%v) = %q, want %q", x, got, want)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e15 {
			continue
		}
		if l := -math.Abs(x); math.Abs(l) < 1e6 {
			if got, want := pow10Text(l), pow10Old(l); got != want {
				t.Errorf("pow10Text(%v) = %q, want %q", l, got, want)
			}
		}
		if n := int(x); float64(n) == math.Trunc(x) {
			if got, want := string(appendInt(nil, n)), fmt.Sprintf("%d", n); got != want {
				t.Errorf("appendInt(%d) = %q, want %q", n, got, want)
			}
		}
	}
}

// TestTextsAcrossBlocks: texts of any length, many blocks' worth, each
// reach their destination whole.
func TestTextsAcrossBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	want := make([]string, 20000)
	got := make([]string, len(want))
	var tx texts
	for i := range want {
		want[i] = strings.Repeat(string(rune('a'+i%26)), rng.IntN(300)) + fmt.Sprint(i)
		if i%5000 == 0 {
			want[i] = strings.Repeat("长", textBlock/3+7) // longer than a block
		}
		tx.end(append(tx.buf, want[i]...), &got[i])
	}
	tx.flush()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("text %d: %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
}
