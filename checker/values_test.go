package checker_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// TestCheckValuesMatchesCheck: checking figures placed by index gives the
// result that checking the same figures as a submission gives, and the
// same digest, for the
// figures of every rule test of the shipped form and for random rows with
// unusable values, strings to read, fractions, infinities and values out
// of range, with and without a previous period.
func TestCheckValuesMatchesCheck(t *testing.T) {
	rs := shipped(t)
	rng := rand.New(rand.NewPCG(7, 11))
	var c checker.Checker
	for _, id := range rs.FormIDs() {
		f, _ := rs.Form(id)
		var rows []*checker.Values
		for _, rule := range f.Rules {
			for _, tc := range rule.Tests {
				rows = append(rows, testValues(f, tc))
			}
		}
		for range 500 {
			rows = append(rows, randomValues(rng, f))
		}
		// Explanations, of warning rules and of a rule that does not exist.
		for i, rule := range f.Rules {
			v := randomValues(rng, f)
			v.Explanations = map[string]string{rule.ID: "情况说明" + strconv.Itoa(i)}
			if i%7 == 0 {
				v.Explanations["no.such_rule"] = "x"
			}
			rows = append(rows, v)
		}
		for i, v := range rows {
			sub := v.Submission(f)
			if got, want := v.Digest(f), checker.SubmissionDigest(sub); got != want {
				t.Fatalf("form %s row %d: Values.Digest %x, SubmissionDigest %x", id, i, got, want)
			}
			got := c.CheckValues(f, v, "id")
			want := c.CheckWithID(f, sub, "id")
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Fatalf("form %s row %d:\nCheckValues: %s\nCheckWithID: %s", id, i, g, w)
			}
		}
	}
}

func nanVector(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

func testValues(f *rules.Form, tc rules.Test) *checker.Values {
	v := &checker.Values{Unit: "u", Period: "p", Nums: nanVector(len(f.Indicators)), Explanations: tc.Explanations}
	for k, x := range tc.Figures {
		ind, ok := f.Indicator(k)
		if !ok {
			continue
		}
		if n, ok := x.(float64); ok {
			v.Nums[ind.Index] = n
			continue
		}
		if v.Raw == nil {
			v.Raw = make([]any, len(f.Indicators))
		}
		v.Raw[ind.Index] = x
	}
	if len(tc.Previous) > 0 {
		v.Prev = nanVector(len(f.Indicators))
		for k, x := range tc.Previous {
			if ind, ok := f.Indicator(k); ok {
				v.Prev[ind.Index], _ = x.(float64)
			}
		}
	}
	return v
}

func randomValues(rng *rand.Rand, f *rules.Form) *checker.Values {
	n := len(f.Indicators)
	v := &checker.Values{Unit: "u", Period: "p", Nums: nanVector(n)}
	if rng.IntN(2) == 0 {
		v.Prev = nanVector(n)
	}
	for i := range n {
		x := float64(rng.IntN(3000))
		switch k := rng.IntN(40); {
		case k == 0:
			continue // absent
		case k == 1:
			x = -x
		case k == 2:
			x += 0.5
		case k == 3:
			x = math.Inf(1)
		case k == 4:
			x = 1e9
		case k < 10:
			if v.Raw == nil {
				v.Raw = make([]any, n)
			}
			v.Raw[i] = []any{"xx", "1,234", "85%", " 12 ", "１２", "abc", true, json.Number("7.5"), 3.0}[k-5+rng.IntN(5)]
			continue
		}
		v.Nums[i] = x
		if v.Prev != nil && rng.IntN(10) != 0 {
			v.Prev[i] = x * (0.8 + 0.4*rng.Float64())
			if f.Indicators[i].Type == rules.Integer && rng.IntN(20) != 0 {
				v.Prev[i] = math.Round(v.Prev[i])
			}
		}
	}
	v.Period = strconv.Itoa(rng.IntN(3))
	return v
}
