package checker_test

import (
	"strings"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

// TestRunTestsReportsWrongExpectations runs testdata/wrong, whose rule
// tests mostly expect the wrong outcome: each result says what was expected,
// what happened, and why.
func TestRunTestsReportsWrongExpectations(t *testing.T) {
	rs, err := rules.LoadDir("testdata/wrong")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := rs.Form("wrong")
	var c checker.Checker
	got := c.RunTests(f)
	want := []struct {
		rule, test string
		line       int
		expect     rules.Expect
		got        string
		detail     []string // substrings of Detail
	}{
		{"r.le", "期望通过实际违反", 14, rules.ExpectPass, "fail", []string{": 甲3大于乙2"}},
		{"r.le", "期望违反实际通过", 17, rules.ExpectFail, "pass", nil},
		{"r.le", "期望跳过实际通过", 20, rules.ExpectSkip, "pass", nil},
		{"r.le", "缺数据", 23, rules.ExpectPass, "skip", []string{"missing", "b"}},
		{"r.le", "占位符", 26, rules.ExpectFail, "skip", []string{"invalid", "a"}},
		{"r.le", "正确", 29, rules.ExpectPass, "pass", nil},
		{"r.ratio", "除以零", 39, rules.ExpectPass, "error", []string{"division by zero"}},
		{"r.ratio", "条件不成立", 42, rules.ExpectFail, "skip", []string{"when is false"}},
		{"r.ratio", "去年的数据不算", 45, rules.ExpectPass, "skip", []string{"missing", "c"}},
		{"r.ratio", "正确跳过", 49, rules.ExpectSkip, "skip", nil},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Rule != w.rule || g.Test != w.test || g.Expect != w.expect || g.Got != w.got ||
			g.Pos.Line != w.line || g.Pos.File != "testdata/wrong/wrong.yaml" {
			t.Errorf("result %d = %+v\nwant %+v", i, g, w)
			continue
		}
		ok := string(w.expect) == w.got
		if g.OK() != ok {
			t.Errorf("%s: OK() = %v", g.Test, g.OK())
		}
		for _, d := range w.detail {
			if !strings.Contains(g.Detail, d) {
				t.Errorf("%s: detail %q lacks %q", g.Test, g.Detail, d)
			}
		}
		s := g.String()
		if !strings.HasPrefix(s, g.Pos.String()+": rule "+w.rule+": test \""+w.test+"\": ") {
			t.Errorf("String() = %q", s)
		}
		if ok && !strings.HasSuffix(s, ": ok") {
			t.Errorf("String() = %q, want it to end in ok", s)
		}
		if !ok && !strings.Contains(s, "expected "+string(w.expect)+", got "+w.got+g.Detail) {
			t.Errorf("String() = %q, want it to say expected %s, got %s", s, w.expect, w.got)
		}
	}
}

// TestRunTestsEvaluatesOnlyItsRule: a test that would break another rule of
// the form, or trip a builtin check, still passes its own rule.
func TestRunTestsEvaluatesOnlyItsRule(t *testing.T) {
	src := `form: only
indicators:
  - {id: a, name: 甲, type: integer, required: true, max: 5}
  - {id: b, name: 乙, type: integer, required: true}
rules:
  - id: r.one
    name: 甲不超过乙
    severity: error
    expr: a <= b
    message: m
    tests:
      - {figures: {a: 9, b: 10}, expect: pass}
  - id: r.two
    name: 乙不超过甲
    severity: error
    expr: b <= a
    message: m
    tests:
      - {figures: {a: 9, b: 10}, expect: fail}
`
	file, err := rulefmt.Parse("only.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Compile([]*rulefmt.File{file})
	if err != nil {
		t.Fatal(err)
	}
	var c checker.Checker
	for _, tr := range c.RunTests(rs.Forms["only"]) {
		if !tr.OK() {
			t.Error(tr)
		}
	}
}
