package checker_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

// overlay merges the figures of every test of f that expects want, later
// tests overriding earlier ones.
func overlay(f *rules.Form, want rules.Expect, figures, previous map[string]any) {
	for _, r := range f.Rules {
		for _, t := range r.Tests {
			if t.Expect == want {
				maps.Copy(figures, t.Figures)
				maps.Copy(previous, t.Previous)
			}
		}
	}
}

// validShipped builds a full submission for a shipped form: the figures of
// every rule's passing tests, and an in-range value for every figure no
// rule test gives. It fails when the result is not pass or warn, so a change
// to the rule pack that breaks it is noticed.
func validShipped(tb testing.TB, f *rules.Form) *checker.Submission {
	tb.Helper()
	figures, previous := map[string]any{}, map[string]any{}
	for _, ind := range f.Indicators {
		v := 1.0
		if ind.Type == rules.Percent {
			v = 50
		}
		if ind.Min != nil && v < *ind.Min {
			v = *ind.Min
		}
		if ind.Max != nil && v > *ind.Max {
			v = *ind.Max
		}
		figures[ind.ID] = v
	}
	overlay(f, rules.ExpectPass, figures, previous)
	s := &checker.Submission{Form: f.ID, Unit: "某区教育体育局", Period: "2025H1", Figures: figures, Previous: previous}
	var c checker.Checker
	r := c.Check(f, s)
	if r.Verdict == checker.Fail || r.Summary.Skipped > 0 || r.Summary.EvalErrors > 0 {
		tb.Fatalf("the generated valid submission gets %s: %+v\n%v", r.Verdict, r.Summary, lines(r.Violations, violationLine))
	}
	return s
}

// violatingShipped is validShipped with the figures of every failing test
// laid over it, a placeholder and an unknown figure: most rules fail.
func violatingShipped(tb testing.TB, f *rules.Form) *checker.Submission {
	tb.Helper()
	s := validShipped(tb, f)
	s.Figures, s.Previous = maps.Clone(s.Figures), maps.Clone(s.Previous)
	overlay(f, rules.ExpectFail, s.Figures, s.Previous)
	s.Figures[f.Indicators[0].ID] = "xx"
	s.Figures["no_such_figure"] = 1.0
	var c checker.Checker
	r := c.Check(f, s)
	if r.Summary.Errors+r.Summary.Warnings+r.Summary.Infos < len(f.Rules)/3 {
		tb.Fatalf("the violating submission has only %+v", r.Summary)
	}
	return s
}

// loop runs body b.N times and reports, besides the wall time, the CPU
// time per operation (cpu-ns/op): on a loaded machine it is the steadier of
// the two.
func loop(b *testing.B, body func()) {
	b.ReportAllocs()
	start := cpuNanos()
	for b.Loop() {
		body()
	}
	b.ReportMetric(float64(cpuNanos()-start)/float64(b.N), "cpu-ns/op")
}

func benchCheck(b *testing.B, f *rules.Form, s *checker.Submission) {
	var c checker.Checker
	r := c.Check(f, s)
	loop(b, func() { c.Check(f, s) })
	b.ReportMetric(float64(len(r.Violations)), "violations")
}

// BenchmarkCheckValid checks a complete, valid submission of the shipped
// form: every rule is evaluated and passes.
func BenchmarkCheckValid(b *testing.B) {
	f := shipped(b).Forms["edu_sports_halfyear"]
	benchCheck(b, f, validShipped(b, f))
}

// BenchmarkCheckViolations checks a submission of the shipped form that
// breaks most of its rules.
func BenchmarkCheckViolations(b *testing.B) {
	f := shipped(b).Forms["edu_sports_halfyear"]
	benchCheck(b, f, violatingShipped(b, f))
}

// BenchmarkCheckValidPrecomputedID is BenchmarkCheckValid without the
// submission digest: what a cache pays on a miss after building its key.
func BenchmarkCheckValidPrecomputedID(b *testing.B) {
	f := shipped(b).Forms["edu_sports_halfyear"]
	s := validShipped(b, f)
	id := checker.CheckID(f, checker.SubmissionDigest(s))
	var c checker.Checker
	loop(b, func() { c.CheckWithID(f, s, id) })
}

// BenchmarkSubmissionDigest is the check id's share of a check.
func BenchmarkSubmissionDigest(b *testing.B) {
	f := shipped(b).Forms["edu_sports_halfyear"]
	s := validShipped(b, f)
	loop(b, func() { checker.SubmissionDigest(s) })
}

// ruleForm compiles a form with figures a and b and n copies of one rule.
func ruleForm(tb testing.TB, expr string, n int) *rules.Form {
	tb.Helper()
	var src strings.Builder
	src.WriteString("form: bench\nindicators:\n  - {id: a, name: 甲, type: number}\n  - {id: b, name: 乙, type: number}\nrules:")
	if n == 0 {
		src.WriteString(" []")
	}
	src.WriteString("\n")
	for i := range n {
		fmt.Fprintf(&src, "  - {id: r.n%d, name: 规则, severity: error, expr: %q, message: '{{a}}'}\n", i, expr)
	}
	file, err := rulefmt.Parse("bench.yaml", []byte(src.String()))
	if err != nil {
		tb.Fatal(err)
	}
	rs, err := rules.Compile([]*rulefmt.File{file})
	if err != nil {
		tb.Fatal(err)
	}
	return rs.Forms["bench"]
}

// ruleKinds are passing rules of increasing cost.
var ruleKinds = []struct{ name, expr string }{
	{"compare", "a <= b"},
	{"arith", "a + b <= 100"},
	{"helper", "between(a, 0, 100)"},
	{"ratio", "a / b <= 1"},
}

const rulesPerForm = 100

// BenchmarkRule checks a submission against a form of 100 copies of one
// passing rule, and against the same form with no rule ("base"): the cost
// of one rule is (kind - base) / 100.
func BenchmarkRule(b *testing.B) {
	s := &checker.Submission{Form: "bench", Figures: map[string]any{"a": 3.0, "b": 4.0}}
	run := func(name string, f *rules.Form) {
		b.Run(name, func(b *testing.B) {
			var c checker.Checker
			if r := c.CheckWithID(f, s, "id"); r.Summary.Passed != len(f.Rules) {
				b.Fatalf("%+v", r.Summary)
			}
			loop(b, func() { c.CheckWithID(f, s, "id") })
		})
	}
	run("base", ruleForm(b, "", 0))
	for _, k := range ruleKinds {
		run(k.name, ruleForm(b, k.expr, rulesPerForm))
	}
}

// TestPassingRuleAllocatesNothing: evaluating a passing comparison rule
// allocates nothing; the per-submission allocations do not grow with the
// number of rules.
func TestPassingRuleAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	s := &checker.Submission{Form: "bench", Figures: map[string]any{"a": 3.0, "b": 4.0}}
	allocs := func(f *rules.Form) float64 {
		var c checker.Checker
		return testing.AllocsPerRun(200, func() { c.CheckWithID(f, s, "id") })
	}
	base := allocs(ruleForm(t, "", 0))
	for _, k := range ruleKinds[:1] {
		got := allocs(ruleForm(t, k.expr, rulesPerForm))
		if perRule := (got - base) / rulesPerForm; perRule > 0.05 {
			t.Errorf("%s: %.2f allocations per passing rule (%.0f with %d rules, %.0f without)", k.name, perRule, got, rulesPerForm, base)
		}
	}
}

// BenchmarkCheckUnknownFields checks a valid submission of the shipped form
// that also carries 100 figures the form does not have: each gets a
// closest-name hint, computed against every indicator id and name.
func BenchmarkCheckUnknownFields(b *testing.B) {
	f := shipped(b).Forms["edu_sports_halfyear"]
	s := validShipped(b, f)
	s.Figures = maps.Clone(s.Figures)
	for i := range 100 {
		s.Figures[fmt.Sprintf("unknown_figure_%03d", i)] = float64(i)
	}
	benchCheck(b, f, s)
}

// TestUnknownFieldsAreCheap: a figure the form does not have costs a
// violation and a hint, not a scan that allocates for every indicator.
//
// This fails today: closest (hint.go) converts every indicator id and name to
// []rune and distance allocates two rows for each, about 390 allocations and
// 180µs of CPU per unknown field on the shipped form, so a request body of
// made-up keys costs seconds of CPU. See BenchmarkCheckUnknownFields.
func TestUnknownFieldsAreCheap(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	f := shipped(t).Forms["edu_sports_halfyear"]
	s := validShipped(t, f)
	withUnknown := *s
	withUnknown.Figures = maps.Clone(s.Figures)
	const n = 20
	for i := range n {
		withUnknown.Figures[fmt.Sprintf("unknown_figure_%03d", i)] = float64(i)
	}
	var c checker.Checker
	base := testing.AllocsPerRun(5, func() { c.CheckWithID(f, s, "id") })
	got := testing.AllocsPerRun(5, func() { c.CheckWithID(f, &withUnknown, "id") })
	if perField := (got - base) / n; perField > 16 {
		t.Errorf("%.0f allocations per unknown field (%.0f for the submission, %.0f without the unknown fields)", perField, got, base)
	}
}

// BenchmarkDecodeSubmission is the strict decode of the full valid
// submission as a client sends it (JSON with every figure).
func BenchmarkDecodeSubmission(b *testing.B) {
	f := shipped(b).Forms["edu_sports_halfyear"]
	body, err := json.Marshal(validShipped(b, f))
	if err != nil {
		b.Fatal(err)
	}
	loop(b, func() {
		if _, err := checker.DecodeSubmissionBytes(body); err != nil {
			b.Fatal(err)
		}
	})
}
