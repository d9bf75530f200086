package checker_test

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// demoForm is checker/testdata/form/demo.yaml: seven figures, six rules.
var demoForm = sync.OnceValues(func() (*rules.Form, error) {
	rs, err := rules.LoadDir("testdata/form")
	if err != nil {
		return nil, err
	}
	f, ok := rs.Form("demo")
	if !ok {
		return nil, fmt.Errorf("no form demo in %v", rs.FormIDs())
	}
	return f, nil
})

func demo(t testing.TB) *rules.Form {
	t.Helper()
	f, err := demoForm()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// del deletes a key in with.
const del = "\x00delete"

// with returns a copy of base with the changes applied; a value of del
// removes the key.
func with(base, changes map[string]any) map[string]any {
	out := maps.Clone(base)
	for k, v := range changes {
		if v == del {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// valid passes every rule of the demo form.
var valid = map[string]any{
	"events": 10.0, "gold": 3.0, "silver": 4.0, "athletes": 30.0, "spend": 500.0,
	"pass_rate": 80.0, "pass_rate_delta": 2.0,
}

var validPrevious = map[string]any{"pass_rate": 78.0}

// violationLine describes a violation as "severity rule field,field", with
// " explained" when it is.
func violationLine(v checker.Violation) string {
	keys := slices.Sorted(maps.Keys(v.Fields))
	s := fmt.Sprintf("%s %s %s", v.Severity, v.Rule, strings.Join(keys, ","))
	if v.Explained {
		s += " explained"
	}
	return s
}

// skipLine describes a skip as "rule reason missing=[…] invalid=[…]".
func skipLine(s checker.Skip) string {
	return fmt.Sprintf("%s %s missing=%v invalid=%v", s.Rule, s.Reason, s.Missing, s.Invalid)
}

func lines[T any](xs []T, f func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

func TestCheck(t *testing.T) {
	f := demo(t)
	for _, tc := range []struct {
		name         string
		figures      map[string]any
		previous     map[string]any // nil: validPrevious
		explanations map[string]string

		verdict    string
		violations []string // violationLine, in order
		skipped    []string // skipLine, in rule order
		evalErrors []string // rule ids
		summary    *checker.Summary
		check      func(t *testing.T, r *checker.Result)
	}{
		{
			name: "valid", figures: valid, verdict: checker.Pass,
			summary: &checker.Summary{Rules: 6, Evaluated: 6, Passed: 6},
		},
		{
			name: "full-width digits, separators, spaces and percent signs are accepted",
			figures: with(valid, map[string]any{
				"events": "１０", "gold": " 3 ", "spend": "５００．０", "athletes": "3０",
				"pass_rate": "80%", "pass_rate_delta": "２", "silver": "4",
			}),
			previous: map[string]any{"本科上线率": "７８％"},
			verdict:  checker.Pass,
			summary:  &checker.Summary{Rules: 6, Evaluated: 6, Passed: 6},
		},
		{
			name:    "thousands separators",
			figures: with(valid, map[string]any{"athletes": "1,200", "spend": "1，200", "events": "1,000"}),
			verdict: checker.Pass,
		},
		{
			name:    "a fraction in an integer figure is builtin.type",
			figures: with(valid, map[string]any{"gold": "3.5", "silver": 4.5}),
			verdict: checker.Fail,
			violations: []string{
				"error builtin.type gold",
				"error builtin.type silver",
			},
			skipped: []string{
				"sport.gold_le_events invalid missing=[] invalid=[gold]",
				"sport.silver_ge_gold invalid missing=[] invalid=[gold silver]",
			},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], "「金牌数」应为整数枚，填写的是3.5")
				wantMessage(t, r.Violations[1], "「银牌数」应为整数枚，填写的是4.5")
			},
		},
		{
			name: "template placeholders",
			figures: with(valid, map[string]any{
				"athletes": "**", "gold": "xx", "spend": "", "silver": "××", "pass_rate": "XX%",
			}),
			verdict: checker.Fail,
			// one rule, so in the order of the form's indicators
			violations: []string{
				"error builtin.placeholder gold",
				"error builtin.placeholder silver",
				"error builtin.placeholder athletes",
				"error builtin.placeholder spend",
				"error builtin.placeholder pass_rate",
			},
			skipped: []string{
				"sport.gold_le_events invalid missing=[] invalid=[gold]",
				"sport.spend_per_event invalid missing=[] invalid=[spend]",
				"sport.spend_per_athlete invalid missing=[] invalid=[athletes spend]",
				"edu.delta invalid missing=[] invalid=[pass_rate]",
				"sport.silver_ge_gold invalid missing=[] invalid=[gold silver]",
				"sport.athletes_ge_events invalid missing=[] invalid=[athletes]",
			},
			summary: &checker.Summary{Rules: 6, Errors: 5, Skipped: 6},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], `「金牌数」仍是模板占位符“xx”，请填写实际数字`)
				if v := r.Violations[3].Fields["spend"]; v != "" {
					t.Errorf("spend field = %#v, want the submitted empty string", v)
				}
			},
		},
		{
			name:    "null is a missing figure",
			figures: with(valid, map[string]any{"silver": nil, "gold": nil}),
			verdict: checker.Fail,
			violations: []string{
				"error builtin.required gold",
			},
			skipped: []string{
				"sport.gold_le_events missing missing=[gold] invalid=[]",
				"sport.silver_ge_gold missing missing=[gold silver] invalid=[]",
			},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], "「金牌数」为必填指标，尚未填写")
			},
		},
		{
			name:    "booleans, objects and arrays are builtin.type",
			figures: with(valid, map[string]any{"gold": true, "silver": map[string]any{"v": 1.0}, "athletes": []any{30.0}}),
			verdict: checker.Fail,
			violations: []string{
				"error builtin.type gold",
				"error builtin.type silver",
				"error builtin.type athletes",
			},
			skipped: []string{
				"sport.gold_le_events invalid missing=[] invalid=[gold]",
				"sport.spend_per_athlete invalid missing=[] invalid=[athletes]",
				"sport.silver_ge_gold invalid missing=[] invalid=[gold silver]",
				"sport.athletes_ge_events invalid missing=[] invalid=[athletes]",
			},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], "「金牌数」不是有效数字：布尔值 true")
				wantMessage(t, r.Violations[1], "「银牌数」不是有效数字：对象")
				wantMessage(t, r.Violations[2], "「运动员人数」不是有效数字：数组")
			},
		},
		{
			name:    "NaN, Inf and overflowing numbers are rejected",
			figures: with(valid, map[string]any{"gold": "NaN", "silver": "Inf", "athletes": "1e999", "spend": "-Inf"}),
			verdict: checker.Fail,
			violations: []string{
				"error builtin.type gold",
				"error builtin.type silver",
				"error builtin.type athletes",
				"error builtin.type spend",
			},
			skipped: []string{
				"sport.gold_le_events invalid missing=[] invalid=[gold]",
				"sport.spend_per_event invalid missing=[] invalid=[spend]",
				"sport.spend_per_athlete invalid missing=[] invalid=[athletes spend]",
				"sport.silver_ge_gold invalid missing=[] invalid=[gold silver]",
				"sport.athletes_ge_events invalid missing=[] invalid=[athletes]",
			},
		},
		{
			name:    "out of range: reported, and the figure is still used",
			figures: with(valid, map[string]any{"spend": 20000.0, "gold": -1.0, "pass_rate": "101%", "pass_rate_delta": 23.0}),
			verdict: checker.Fail,
			violations: []string{
				"error builtin.range gold",
				"error builtin.range spend",
				"error builtin.range pass_rate",
				"error sport.spend_per_athlete athletes,spend",
				"warning sport.spend_per_event events,spend",
			},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], "「金牌数」为-1枚，超出允许范围不低于0枚")
				wantMessage(t, r.Violations[1], "「专项资金」为20000万元，超出允许范围0–10000万元")
				wantMessage(t, r.Violations[2], "「本科上线率」为101%，超出允许范围0–100%")
				wantMessage(t, r.Violations[3], "人均资金666.6667万元")
				wantMessage(t, r.Violations[4], "每个项目平均资金2000万元,偏高")
			},
		},
		{
			name:     "previous figures are not range-checked",
			figures:  with(valid, map[string]any{"pass_rate": 80.0, "pass_rate_delta": -70.0}),
			previous: map[string]any{"pass_rate": 150.0}, verdict: checker.Pass,
		},
		{
			name: "unknown fields, with a hint when a name is close",
			figures: with(valid, map[string]any{
				"金牌": 3.0, "athelets": 30.0, "completely_unrelated_figure": 1.0,
			}),
			previous: map[string]any{"pass_rte": 78.0},
			verdict:  checker.Fail,
			violations: []string{
				"error builtin.unknown_field athelets",
				"error builtin.unknown_field completely_unrelated_figure",
				"error builtin.unknown_field previous.pass_rte",
				"error builtin.unknown_field 金牌",
			},
			skipped: []string{"edu.delta missing missing=[previous.pass_rate] invalid=[]"},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], `表单中没有指标“athelets”，是否是「运动员人数」（athletes）？`)
				wantMessage(t, r.Violations[1], `表单中没有指标“completely_unrelated_figure”`)
				wantMessage(t, r.Violations[2], `表单中没有指标“previous.pass_rte”，是否是「本科上线率」（pass_rate）？`)
				wantMessage(t, r.Violations[3], `表单中没有指标“金牌”，是否是「金牌数」（gold）？`)
				if v := r.Violations[3].Fields["金牌"]; v != 3.0 {
					t.Errorf("unknown field value = %#v", v)
				}
			},
		},
		{
			name:    "required figures",
			figures: with(valid, map[string]any{"events": del, "gold": del}),
			verdict: checker.Fail,
			violations: []string{
				"error builtin.required events",
				"error builtin.required gold",
			},
			skipped: []string{
				"sport.gold_le_events missing missing=[events gold] invalid=[]",
				"sport.spend_per_event missing missing=[events] invalid=[]",
				"sport.silver_ge_gold missing missing=[gold] invalid=[]",
				"sport.athletes_ge_events missing missing=[events] invalid=[]",
			},
			summary: &checker.Summary{Rules: 6, Evaluated: 2, Passed: 2, Errors: 2, Skipped: 4},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], "「参赛项目数」为必填指标，尚未填写")
				if v, ok := r.Violations[0].Fields["events"]; !ok || v != nil {
					t.Errorf("fields = %v", r.Violations[0].Fields)
				}
			},
		},
		{
			name:    "figures by Chinese name; fields hold the submitted values by id",
			figures: with(valid, map[string]any{"gold": del, "events": del, "金牌数": "１１", "参赛项目数": 10.0}),
			verdict: checker.Fail,
			violations: []string{
				"error sport.gold_le_events events,gold",
				"info sport.silver_ge_gold gold,silver",
			},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], "金牌11枚多于参赛项目10项")
				wantFields(t, r.Violations[0], map[string]any{"events": 10.0, "gold": "１１"})
				wantFields(t, r.Violations[1], map[string]any{"silver": 4.0, "gold": "１１"})
			},
		},
		{
			name:       "the same figure by id and by name",
			figures:    with(valid, map[string]any{"金牌数": 3.0}),
			verdict:    checker.Fail,
			violations: []string{"error builtin.duplicate_field gold,金牌数"},
			skipped: []string{
				"sport.gold_le_events invalid missing=[] invalid=[gold]",
				"sport.silver_ge_gold invalid missing=[] invalid=[gold]",
			},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], "「金牌数」被重复填写（指标代码与中文名称各填了一次）")
			},
		},
		{
			name:       "the same figure by id and by name, one of them null",
			figures:    with(valid, map[string]any{"金牌数": nil}),
			verdict:    checker.Fail,
			violations: []string{"error builtin.duplicate_field gold,金牌数"},
			skipped: []string{
				"sport.gold_le_events invalid missing=[] invalid=[gold]",
				"sport.silver_ge_gold invalid missing=[] invalid=[gold]",
			},
		},
		{
			name:       "the same previous figure by id and by name",
			figures:    valid,
			previous:   map[string]any{"pass_rate": 78.0, "本科上线率": 78.0},
			verdict:    checker.Fail,
			violations: []string{"error builtin.duplicate_field previous.pass_rate,previous.本科上线率"},
			skipped:    []string{"edu.delta invalid missing=[] invalid=[previous.pass_rate]"},
		},
		{
			name:    "skip lists both missing and invalid figures",
			figures: with(valid, map[string]any{"events": del, "gold": "xx"}),
			verdict: checker.Fail,
			violations: []string{
				"error builtin.placeholder gold",
				"error builtin.required events",
			},
			skipped: []string{
				"sport.gold_le_events missing missing=[events] invalid=[gold]",
				"sport.spend_per_event missing missing=[events] invalid=[]",
				"sport.silver_ge_gold invalid missing=[] invalid=[gold]",
				"sport.athletes_ge_events missing missing=[events] invalid=[]",
			},
		},
		{
			name:     "a previous figure missing or invalid",
			figures:  valid,
			previous: map[string]any{"pass_rate": "xx"},
			verdict:  checker.Fail,
			violations: []string{
				"error builtin.placeholder previous.pass_rate",
			},
			skipped: []string{"edu.delta invalid missing=[] invalid=[previous.pass_rate]"},
		},
		{
			name:     "no previous figures at all",
			figures:  valid,
			previous: map[string]any{},
			verdict:  checker.Pass,
			skipped:  []string{"edu.delta missing missing=[previous.pass_rate] invalid=[]"},
			summary:  &checker.Summary{Rules: 6, Evaluated: 5, Passed: 5, Skipped: 1},
		},
		{
			name:    "when is false: skipped, not passed",
			figures: with(valid, map[string]any{"events": 0.0, "gold": 0.0}),
			verdict: checker.Pass,
			skipped: []string{"sport.spend_per_event condition missing=[] invalid=[]"},
			summary: &checker.Summary{Rules: 6, Evaluated: 5, Passed: 5, Skipped: 1},
		},
		{
			name:       "division by zero is an evaluation error, never a pass, and leaves the verdict alone",
			figures:    with(valid, map[string]any{"events": 0.0, "gold": 0.0, "athletes": 0.0}),
			verdict:    checker.Pass,
			skipped:    []string{"sport.spend_per_event condition missing=[] invalid=[]"},
			evalErrors: []string{"sport.spend_per_athlete"},
			summary:    &checker.Summary{Rules: 6, Evaluated: 5, Passed: 4, Skipped: 1, EvalErrors: 1},
			check: func(t *testing.T, r *checker.Result) {
				e := r.EvalErrors[0]
				if !strings.Contains(e.Error, "division by zero") || e.Severity != rules.SevError || e.Name != "人均资金" {
					t.Errorf("eval error = %+v", e)
				}
			},
		},
		{
			name:       "a violated warning makes the verdict warn",
			figures:    with(valid, map[string]any{"athletes": 5.0, "spend": 200.0}),
			verdict:    checker.Warn,
			violations: []string{"warning sport.athletes_ge_events athletes,events"},
			summary:    &checker.Summary{Rules: 6, Evaluated: 6, Passed: 5, Warnings: 1},
		},
		{
			name:         "an explained warning passes",
			figures:      with(valid, map[string]any{"athletes": 5.0, "spend": 200.0}),
			explanations: map[string]string{"sport.athletes_ge_events": "  多个项目由同一批运动员参加 \n"},
			verdict:      checker.Pass,
			violations:   []string{"warning sport.athletes_ge_events athletes,events explained"},
			summary:      &checker.Summary{Rules: 6, Evaluated: 6, Passed: 5, Explained: 1},
			check: func(t *testing.T, r *checker.Result) {
				if got := r.Violations[0].Explanation; got != "多个项目由同一批运动员参加" {
					t.Errorf("explanation = %q, want it trimmed", got)
				}
			},
		},
		{
			name:         "a blank explanation explains nothing",
			figures:      with(valid, map[string]any{"athletes": 5.0, "spend": 200.0}),
			explanations: map[string]string{"sport.athletes_ge_events": " \t "},
			verdict:      checker.Warn,
			violations:   []string{"warning sport.athletes_ge_events athletes,events"},
		},
		{
			name:         "an error cannot be explained",
			figures:      with(valid, map[string]any{"gold": 11.0, "silver": 12.0}),
			explanations: map[string]string{"sport.gold_le_events": "含团体项目"},
			verdict:      checker.Fail,
			violations:   []string{"error sport.gold_le_events events,gold"},
			summary:      &checker.Summary{Rules: 6, Evaluated: 6, Passed: 5, Errors: 1},
		},
		{
			name:         "an explanation of an unknown rule is an info",
			figures:      valid,
			explanations: map[string]string{"sport.no_such_rule": "说明", "builtin.range": "内置规则的说明不报", "sport.gold_le_events": "规则通过时不报"},
			verdict:      checker.Pass,
			violations:   []string{"info builtin.unknown_explanation "},
			summary:      &checker.Summary{Rules: 6, Evaluated: 6, Passed: 6, Infos: 1},
			check: func(t *testing.T, r *checker.Result) {
				wantMessage(t, r.Violations[0], `说明所对应的规则“sport.no_such_rule”不存在，该说明未被使用`)
			},
		},
		{
			name:       "an info never changes the verdict",
			figures:    with(valid, map[string]any{"silver": 1.0}),
			verdict:    checker.Pass,
			violations: []string{"info sport.silver_ge_gold gold,silver"},
			summary:    &checker.Summary{Rules: 6, Evaluated: 6, Passed: 5, Infos: 1},
		},
		{
			name:       "an info and a warning: warn",
			figures:    with(valid, map[string]any{"silver": 1.0, "athletes": 5.0, "spend": 200.0}),
			verdict:    checker.Warn,
			violations: []string{"warning sport.athletes_ge_events athletes,events", "info sport.silver_ge_gold gold,silver"},
		},
		{
			name: "violations are sorted by severity, then rule id",
			figures: with(valid, map[string]any{
				"gold": 11.0, "spend": 20000.0, "silver": 1.0, "athletes": 5.0, "pass_rate_delta": 5.0, "zzz": 1.0,
			}),
			explanations: map[string]string{"a.b": "x", "sport.athletes_ge_events": ""},
			verdict:      checker.Fail,
			violations: []string{
				"error builtin.range spend",
				"error builtin.unknown_field zzz",
				"error edu.delta pass_rate,pass_rate_delta,previous.pass_rate",
				"error sport.gold_le_events events,gold",
				"error sport.spend_per_athlete athletes,spend",
				"warning sport.athletes_ge_events athletes,events",
				"warning sport.spend_per_event events,spend",
				"info builtin.unknown_explanation ",
				"info sport.silver_ge_gold gold,silver",
			},
			summary: &checker.Summary{Rules: 6, Evaluated: 6, Passed: 0, Errors: 5, Warnings: 2, Infos: 2},
			check: func(t *testing.T, r *checker.Result) {
				wantFields(t, r.Violations[2], map[string]any{"pass_rate": 80.0, "pass_rate_delta": 5.0, "previous.pass_rate": 78.0})
				wantMessage(t, r.Violations[2], "本科上线率80%减去年78%为2,与填报的5不符")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := tc.previous
			if prev == nil {
				prev = validPrevious
			}
			s := &checker.Submission{
				Form: "demo", Unit: "某区教育体育局", Period: "2025H1",
				Figures: tc.figures, Previous: prev, Explanations: tc.explanations,
			}
			var c checker.Checker
			r := c.Check(f, s)
			checkInvariants(t, f, s, r)
			if r.Verdict != tc.verdict {
				t.Errorf("verdict = %s, want %s", r.Verdict, tc.verdict)
			}
			if got, want := lines(r.Violations, violationLine), orEmpty(tc.violations); !slices.Equal(got, want) {
				t.Errorf("violations:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
			if got, want := lines(r.Skipped, skipLine), orEmpty(tc.skipped); !slices.Equal(got, want) {
				t.Errorf("skipped:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
			if got, want := lines(r.EvalErrors, func(e checker.EvalError) string { return e.Rule }), orEmpty(tc.evalErrors); !slices.Equal(got, want) {
				t.Errorf("eval errors = %v, want %v", got, want)
			}
			if tc.summary != nil && r.Summary != *tc.summary {
				t.Errorf("summary = %+v\nwant      %+v", r.Summary, *tc.summary)
			}
			if tc.check != nil && !t.Failed() {
				tc.check(t, r)
			}
		})
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func wantMessage(t *testing.T, v checker.Violation, want string) {
	t.Helper()
	if v.Message != want {
		t.Errorf("%s: message %q, want %q", v.Rule, v.Message, want)
	}
}

func wantFields(t *testing.T, v checker.Violation, want map[string]any) {
	t.Helper()
	if !maps.Equal(v.Fields, want) {
		t.Errorf("%s: fields %v, want %v", v.Rule, v.Fields, want)
	}
}

// submitted finds the value submitted for an indicator, by id or by name.
func submitted(vals map[string]any, ind *rules.Indicator) any {
	if v, ok := vals[ind.ID]; ok {
		return v
	}
	return vals[ind.Name]
}

// checkInvariants checks what holds for every result: identity, counts that
// agree with the lists, the verdict that follows from them, the order of
// violations, and the fields of rule outcomes.
func checkInvariants(t *testing.T, f *rules.Form, s *checker.Submission, r *checker.Result) {
	t.Helper()
	if r.Form != f.ID || r.Ruleset != f.Digest || r.Unit != s.Unit || r.Period != s.Period {
		t.Errorf("identity: form %q ruleset %q unit %q period %q", r.Form, r.Ruleset, r.Unit, r.Period)
	}
	if want := checker.CheckID(f, checker.SubmissionDigest(s)); r.CheckID != want {
		t.Errorf("check id %s, want %s", r.CheckID, want)
	}
	if r.Violations == nil || r.Skipped == nil || r.EvalErrors == nil {
		t.Error("a result list is nil; it must encode as []")
	}
	var errs, warns, infos, explained, ruleViolations int
	outcome := map[string]string{}
	note := func(rule, what string) {
		if prev, ok := outcome[rule]; ok {
			t.Errorf("rule %s is both %s and %s", rule, prev, what)
		}
		outcome[rule] = what
	}
	for i, v := range r.Violations {
		if i > 0 {
			p := r.Violations[i-1]
			if c := cmp.Or(cmp.Compare(p.Severity, v.Severity), cmp.Compare(p.Rule, v.Rule)); c > 0 {
				t.Errorf("violation %d (%s %s) after %s %s", i, v.Severity, v.Rule, p.Severity, p.Rule)
			}
		}
		switch {
		case v.Explained:
			explained++
			if v.Severity != rules.SevWarning || v.Explanation == "" {
				t.Errorf("explained %s %s with %q", v.Severity, v.Rule, v.Explanation)
			}
		case v.Severity == rules.SevError:
			errs++
		case v.Severity == rules.SevWarning:
			warns++
		case v.Severity == rules.SevInfo:
			infos++
		}
		if v.Message == "" || v.Name == "" || v.Fields == nil {
			t.Errorf("violation %s lacks a message, name or fields: %+v", v.Rule, v)
		}
		if strings.HasPrefix(v.Rule, "builtin.") {
			continue
		}
		ruleViolations++
		note(v.Rule, "violated")
		rule, ok := f.Rule(v.Rule)
		if !ok {
			t.Errorf("violation of unknown rule %s", v.Rule)
			continue
		}
		if v.Severity != rule.Severity || v.Name != rule.Name {
			t.Errorf("violation %s: severity %s name %s", v.Rule, v.Severity, v.Name)
		}
		wantRuleFields(t, v.Rule, v.Fields, rule, s)
	}
	for _, e := range r.EvalErrors {
		note(e.Rule, "an evaluation error")
		if rule, ok := f.Rule(e.Rule); ok {
			wantRuleFields(t, e.Rule, e.Fields, rule, s)
		}
	}
	for _, sk := range r.Skipped {
		note(sk.Rule, "skipped")
		switch sk.Reason {
		case checker.SkipMissing:
			if len(sk.Missing) == 0 {
				t.Errorf("skip %s: missing without names", sk.Rule)
			}
		case checker.SkipInvalid:
			if len(sk.Missing) != 0 || len(sk.Invalid) == 0 {
				t.Errorf("skip %s: invalid with %v %v", sk.Rule, sk.Missing, sk.Invalid)
			}
		case checker.SkipCondition:
			if len(sk.Missing)+len(sk.Invalid) != 0 {
				t.Errorf("skip %s: condition with %v %v", sk.Rule, sk.Missing, sk.Invalid)
			}
		default:
			t.Errorf("skip %s: reason %q", sk.Rule, sk.Reason)
		}
	}
	sum := r.Summary
	if sum.Errors != errs || sum.Warnings != warns || sum.Infos != infos || sum.Explained != explained ||
		sum.Skipped != len(r.Skipped) || sum.EvalErrors != len(r.EvalErrors) || sum.Rules != len(f.Rules) {
		t.Errorf("summary %+v does not match the lists", sum)
	}
	// Every rule has exactly one outcome; the passed ones are the rest.
	if sum.Evaluated != sum.Passed+ruleViolations+len(r.EvalErrors) || sum.Rules != sum.Evaluated+len(r.Skipped) {
		t.Errorf("summary %+v: outcomes do not add up (%d violated)", sum, ruleViolations)
	}
	want := checker.Pass
	if errs > 0 {
		want = checker.Fail
	} else if warns > 0 {
		want = checker.Warn
	}
	if r.Verdict != want {
		t.Errorf("verdict %s with %d errors and %d warnings", r.Verdict, errs, warns)
	}
}

// wantRuleFields: the fields of a rule outcome are every figure the rule
// reads, with the value as submitted.
func wantRuleFields(t *testing.T, id string, fields map[string]any, rule *rules.Rule, s *checker.Submission) {
	t.Helper()
	want := map[string]any{}
	for _, ind := range rule.Uses {
		want[ind.ID] = submitted(s.Figures, ind)
	}
	for _, ind := range rule.UsesPrevious {
		want[ind.PrevKey] = submitted(s.Previous, ind)
	}
	if !maps.EqualFunc(fields, want, func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
		t.Errorf("%s: fields %v, want %v", id, fields, want)
	}
}
