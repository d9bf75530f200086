package anomaly_test

import (
	"fmt"

	"github.com/figcheck/figcheck/audit/anomaly"
)

// Two units of a batch of 40 agree on eleven figures. Rates with a
// decimal and four-digit counts are unlikely to agree by chance; 0s and
// 1s are not.
func ExampleCopyP() {
	row := []float64{3017, 452, 12890, 95.5, 88.2, 1204, 67, 3391, 99.1, 18.5, 7433}
	var chances []float64
	for _, x := range row {
		chances = append(chances, anomaly.MatchChance(0, 38, x))
	}
	fmt.Printf("eleven figures: 10^%.0f\n", anomaly.CopyP(chances, 0))
	small := make([]float64, 11)
	for i := range small {
		small[i] = anomaly.MatchChance(0, 38, float64(i%2))
	}
	fmt.Printf("eleven 0s and 1s: 10^%.0f\n", anomaly.CopyP(small, 0))
	// Output:
	// eleven figures: 10^-20
	// eleven 0s and 1s: 10^0
}

// A unit whose ten four-digit figures all end in 00.
func ExampleRounding() {
	var t []int
	var tails [][]float64
	for range 10 {
		t = append(t, 2)
		tails = append(tails, []float64{1, 0.1, 0.01, 0.001})
	}
	r := anomaly.Rounding(t, tails)
	fmt.Printf("%d zeros, %.1f expected, p < 1e-12: %v\n", r.Zeros, r.Expected, r.P < 1e-12)
	// Output:
	// 20 zeros, 1.1 expected, p < 1e-12: true
}
