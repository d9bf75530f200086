package checker_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// TestRenderMatchesCheckValues: on the demo form (a precondition, a
// division, a previous-period figure, percentages written as text, every
// severity), Render gives CheckValues' result for random rows with zeros
// (division by zero: evaluation errors, which Render leaves to a check),
// explanations of warnings and of no rule, raw cells and missing figures.
func TestRenderMatchesCheckValues(t *testing.T) {
	rs, err := rules.LoadDir("testdata/form")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := rs.Form("demo")
	rng := rand.New(rand.NewPCG(3, 5))
	var (
		c              checker.Checker
		lean, rendered checker.Result
	)
	kinds := map[string]int{}
	for i := range 3000 {
		v := randomValues(rng, f)
		zero := []float64{0, math.Copysign(0, -1)} // -0 shows as 0
		for k := range v.Nums {
			if rng.IntN(6) == 0 {
				v.Nums[k] = zero[rng.IntN(2)]
			}
			if v.Prev != nil && rng.IntN(6) == 0 {
				v.Prev[k] = zero[rng.IntN(2)]
			}
		}
		switch i % 5 {
		case 0:
			v.Explanations = map[string]string{f.Rules[rng.IntN(len(f.Rules))].ID: "情况说明"}
		case 1:
			v.Explanations = map[string]string{"no.such_rule": "x", "sport.athletes_ge_events": " 已核实 "}
		}
		want := c.CheckValues(f, v, "id")
		c.Outcome(f, v, &lean)
		sameRender(t, &c, f, v, &lean, want, &rendered)
		if len(want.EvalErrors) > 0 {
			kinds["eval errors"]++
		}
		for _, viol := range want.Violations {
			kinds[viol.Rule]++
			if viol.Explained {
				kinds["explained"]++
			}
		}
	}
	for _, k := range []string{"eval errors", "explained", "sport.spend_per_event", "edu.delta", checker.BuiltinType, checker.BuiltinRequired, checker.BuiltinRange, checker.BuiltinUnknownExplanation} {
		if kinds[k] == 0 {
			t.Errorf("no row with %s: %v", k, kinds)
		}
	}
}
