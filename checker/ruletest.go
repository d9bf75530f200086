package checker

import (
	"fmt"
	"strings"

	"github.com/figcheck/figcheck/rules"
)

// TestResult is the outcome of one rule test case.
type TestResult struct {
	Rule   string
	Test   string
	Pos    rules.Pos
	Expect rules.Expect
	// Got is pass, fail, skip or error.
	Got string
	// Detail says what happened when Got differs from Expect.
	Detail string
}

// OK reports whether the test got what it expected.
func (t TestResult) OK() bool { return string(t.Expect) == t.Got }

func (t TestResult) String() string {
	if t.OK() {
		return fmt.Sprintf("%s: rule %s: test %q: ok", t.Pos, t.Rule, t.Test)
	}
	return fmt.Sprintf("%s: rule %s: test %q: expected %s, got %s%s", t.Pos, t.Rule, t.Test, t.Expect, t.Got, t.Detail)
}

// RunTests runs the test cases written under each rule of f. A test
// evaluates only its own rule, with its figures normalised as in a check.
func (c *Checker) RunTests(f *rules.Form) []TestResult {
	var out []TestResult
	for _, rule := range f.Rules {
		for _, t := range rule.Tests {
			out = append(out, c.runTest(f, rule, t))
		}
	}
	return out
}

func (c *Checker) runTest(f *rules.Form, rule *rules.Rule, t rules.Test) TestResult {
	st := c.get(len(f.Indicators))
	st.form = f
	defer c.put(st)
	r := &Result{}
	p := Place(f, &Submission{Figures: t.Figures, Previous: t.Previous})
	defer p.Release()
	st.load(f, &p.cur, t.Figures, false, r, nil)
	st.load(f, &p.prev, t.Previous, true, r, nil)
	st.eval(rule, t.Explanations, r)
	tr := TestResult{Rule: rule.ID, Test: t.Name, Pos: t.Pos, Expect: t.Expect}
	switch {
	case len(r.EvalErrors) > 0:
		tr.Got, tr.Detail = "error", ": "+r.EvalErrors[0].Error
	case len(r.Skipped) > 0:
		tr.Got = "skip"
		if s := r.Skipped[0]; s.Reason != SkipCondition {
			tr.Detail = fmt.Sprintf(" (%s: %s)", s.Reason, strings.Join(append(s.Missing, s.Invalid...), ", "))
		} else {
			tr.Detail = " (when is false)"
		}
	default:
		tr.Got = "pass"
		for _, v := range r.Violations {
			// An explained warning passes: that is what an explanation is for.
			if v.Rule == rule.ID && !v.Explained {
				tr.Got, tr.Detail = "fail", ": "+v.Message
			}
		}
	}
	return tr
}
