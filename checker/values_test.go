package checker_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules"
)

// TestCheckValuesMatchesCheck: checking figures placed by index gives the
// result that checking the same figures as a submission gives, and the
// same digest, and Outcome the same verdict, summary and rules, for the
// figures of every rule test of the shipped form and for random rows with
// unusable values, strings to read, fractions, infinities and values out
// of range, with and without a previous period.
func TestCheckValuesMatchesCheck(t *testing.T) {
	rs := shipped(t)
	rng := rand.New(rand.NewPCG(7, 11))
	var (
		c        checker.Checker
		lean     checker.Result // reused by Outcome from row to row
		rendered checker.Result // and by Render
	)
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
			c.Outcome(f, v, &lean)
			if lean.Verdict != want.Verdict || lean.Summary != want.Summary || !sameRules(&lean, want) {
				t.Fatalf("form %s row %d: Outcome %s %+v %v, CheckValues %s %+v %v", id, i,
					lean.Verdict, lean.Summary, ruleList(&lean), want.Verdict, want.Summary, ruleList(want))
			}
			sameRender(t, &c, f, v, &lean, want, &rendered)
		}
	}
}

// sameRender: Render from what the lean check found gives CheckValues'
// result without the skipped rules, and with its fields left to a
// FormJSON the same JSON.
// A result with evaluation errors is left to CheckValues.
func sameRender(t *testing.T, c *checker.Checker, f *rules.Form, v *checker.Values, lean, want *checker.Result, rendered *checker.Result) {
	t.Helper()
	if len(lean.EvalErrors) > 0 {
		return
	}
	var violated []*rules.Rule
	for _, viol := range lean.Violations {
		if rule, ok := f.Rule(viol.Rule); ok {
			violated = append(violated, rule)
		}
	}
	w := *want
	w.Skipped = []checker.Skip{}
	got := &checker.Result{}
	c.Render(f, v, lean.Summary.Skipped, violated, want.CheckID, nil, got)
	if !reflect.DeepEqual(got, &w) {
		g, _ := json.Marshal(got)
		ws, _ := json.Marshal(&w)
		t.Fatalf("Render:\n%s\nCheckValues:\n%s", g, ws)
	}
	var we jsonenc.Encoder
	w.EncodeJSON(&we)
	// The encodings of f's rules, and of another form's (made on the fly).
	for _, enc := range []*checker.FormJSON{checker.NewFormJSON(f), checker.NewFormJSON(&rules.Form{})} {
		c.Render(f, v, lean.Summary.Skipped, violated, want.CheckID, enc, rendered)
		var ge jsonenc.Encoder
		rendered.EncodeJSON(&ge)
		if string(ge.B) != string(we.B) {
			t.Fatalf("Render, lazy:\n%s\nCheckValues:\n%s", ge.B, we.B)
		}
	}
}

// ruleList is the rule and severity of each violation and evaluation
// error, in order.
func ruleList(r *checker.Result) []string {
	var out []string
	for _, v := range r.Violations {
		out = append(out, v.Rule+":"+v.Severity.String())
	}
	for _, e := range r.EvalErrors {
		out = append(out, "eval:"+e.Rule)
	}
	return out
}

func sameRules(a, b *checker.Result) bool { return reflect.DeepEqual(ruleList(a), ruleList(b)) }

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
