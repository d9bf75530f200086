package rules_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"
	"github.com/figcheck/figcheck/rules"
)

// compileRule compiles one rule with the given expr over figures a, b and c
// (Chinese names 甲, 乙, 丙) and returns it.
func compileRule(t *testing.T, expr, message string) *rules.Rule {
	t.Helper()
	src := "form: demo\nindicators:\n" +
		"  - {id: a, name: 甲, type: number}\n  - {id: b, name: 乙, type: number}\n  - {id: c, name: 丙, type: number}\n" +
		"rules:\n  - id: r.one\n    name: 规则\n    severity: error\n    expr: " + quote(expr) + "\n    message: " + quote(message) + "\n"
	rs, err := load(src)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	r, ok := rs.Forms["demo"].Rule("r.one")
	if !ok {
		t.Fatal("rule missing")
	}
	return r
}

func quote(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a YAML double-quoted scalar
	return string(b)
}

// TestHelpers evaluates the helper functions through compiled rules, the way
// the checker does: figures are float64 values keyed by id, previous ones by
// "previous.<id>".
func TestHelpers(t *testing.T) {
	env := map[string]any{"a": 3.0, "b": 0.0, "c": 0.1, "previous.a": 2.0, "previous.b": 0.0, "previous.c": 0.2}
	for _, tc := range []struct {
		expr string
		want any   // the value, when the evaluation succeeds
		err  error // errors.Is target, when it must fail
		msg  string
	}{
		{expr: "approx(甲, 3.04, 0.05)", want: true},
		{expr: "approx(甲, 3.06, 0.05)", want: false},
		{expr: "approx(c + previous.c, 0.3, 0)", want: true}, // float noise is absorbed
		{expr: "approx(甲, 3, -1)", msg: "negative tolerance"},
		{expr: "between(甲, 1, 3)", want: true},
		{expr: "between(甲, 3.5, 4)", want: false},
		{expr: "between(甲, 4, 1)", msg: "lower bound 4 is above upper bound 1"},
		{expr: "sum(甲, 乙, 丙) == 3.1", want: true},
		{expr: "sum() == 0", want: true},
		{expr: "ratio(甲, previous.甲) == 1.5", want: true},
		{expr: "share(previous.a, a) > 66.6 && share(previous.a, a) < 66.7", want: true},
		{expr: "ratio(a, b) > 0", err: rules.ErrDivisionByZero},
		{expr: "share(a, previous.b) > 0", err: rules.ErrDivisionByZero},
		// a plain "/" is the zero-checking ratio, never +Inf or NaN
		{expr: "a / b > 0", err: rules.ErrDivisionByZero},
		{expr: "b / b == 0", err: rules.ErrDivisionByZero},
		{expr: "a / 2 == 1.5", want: true},
		{expr: "abs(b - a) == 3 && max(a, c) == 3", want: true},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			r := compileRule(t, tc.expr, "m")
			var machine vm.VM
			got, err := machine.Run(r.Cond.Program, env)
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Errorf("err = %v, want %v", err, tc.err)
				}
			case tc.msg != "":
				if err == nil || !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("err = %v, want one mentioning %q", err, tc.msg)
				}
			default:
				if err != nil || got != tc.want {
					t.Errorf("= %v, %v; want %v", got, err, tc.want)
				}
			}
		})
	}
}

// TestExprCheckedAtLoad: expressions are type-checked when the form loads,
// against figures that are all numbers.
func TestExprCheckedAtLoad(t *testing.T) {
	for _, tc := range []struct {
		expr string
		msg  string // empty: the expression compiles
	}{
		{"approx(a, b)", "not enough arguments"},
		{"between(a, 1, 2, 3)", "too many arguments"},
		{`ratio(a, "2") > 0`, "cannot use string"},
		{"sum(a, b)", "expected bool, but got float64"},
		{"a > 0 ? b : c", "expected bool, but got float64"},
		{"previous.a.b > 0", "b"},
		{"previous > 0", "unknown name previous"},
		{"previous[a] > 0", "previous must be followed by an indicator name"},
		{"unknown_fn(a) > 0", "unknown_fn"},
		{"甲 + 乙 > 丙 && 丁 > 0", "unknown name 丁"},
		{`previous["甲"] > a`, ""},
		{"let x = a; x > b", ""},
		{"all([a, b], # > 0)", ""},
		{"a ** 2 > b", ""},
		{"round(a) == 3 and not (b > c)", ""},
	} {
		src := "form: demo\nindicators:\n  - {id: a, name: 甲, type: number}\n  - {id: b, name: 乙, type: number}\n  - {id: c, name: 丙, type: number}\n" +
			"rules:\n  - {id: r.one, name: n, severity: error, expr: " + quote(tc.expr) + ", message: m}\n"
		_, err := load(src)
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%s: %v", tc.expr, err)
		case tc.msg != "" && (err == nil || !strings.Contains(err.Error(), tc.msg)):
			t.Errorf("%s: err = %v, want one mentioning %q", tc.expr, err, tc.msg)
		}
	}
}

// TestUsesCoversExprWhenAndMessage: Uses lists every indicator named in
// expr, when and message, by id or name, once each, in form order.
func TestUsesCoversExprWhenAndMessage(t *testing.T) {
	src := "form: demo\nindicators:\n" +
		"  - {id: a, name: 甲, type: number}\n  - {id: b, name: 乙, type: number}\n  - {id: c, name: 丙, type: number}\n  - {id: d, name: 丁, type: number}\n" +
		"rules:\n" +
		"  - {id: r.one, name: n, severity: error, when: 丙 > 0, expr: 乙 >= a && b > 0, message: '{{丁}}'}\n" +
		"  - {id: r.two, name: n, severity: error, expr: previous.丁 <= d + previous.a, message: '{{previous.丁}}'}\n" +
		"  - {id: r.three, name: n, severity: info, expr: 'true', message: 常量}\n"
	rs, err := load(src)
	if err != nil {
		t.Fatal(err)
	}
	f := rs.Forms["demo"]
	for _, tc := range []struct {
		rule       string
		uses, prev string
	}{
		{"r.one", "a b c d", ""},
		{"r.two", "d", "a d"},
		{"r.three", "", ""},
	} {
		r, _ := f.Rule(tc.rule)
		if got := strings.Join(ids(r.Uses), " "); got != tc.uses {
			t.Errorf("%s: Uses = %q, want %q", tc.rule, got, tc.uses)
		}
		if got := strings.Join(ids(r.UsesPrevious), " "); got != tc.prev {
			t.Errorf("%s: UsesPrevious = %q, want %q", tc.rule, got, tc.prev)
		}
	}
}

// render renders a message over the figures a, b, c (and previous.c) of
// compileRule's form, the parts with closures from the frame and the others
// on the VM from the same figures as a map.
func render(r *rules.Rule, env map[string]any) string {
	fr := rules.Frame{Cur: make([]float64, 3), Prev: make([]float64, 3)}
	for i, id := range []string{"a", "b", "c"} {
		fr.Cur[i], _ = env[id].(float64)
		fr.Prev[i], _ = env["previous."+id].(float64)
	}
	var machine vm.VM
	return r.Message.Render(&rules.Evaluation{Frame: &fr, VM: &machine, Env: func() map[string]any { return env }})
}

func TestTemplateRender(t *testing.T) {
	r := compileRule(t, "甲 > 0", "甲{{甲}}、乙{{ b }}、比{{ratio(甲, 乙)}}、真{{a > 0}}、去年{{previous.丙}}、串{{\"字\"}}、空{{nil}}。")
	if r.Message.Source == "" {
		t.Fatal("Source not kept")
	}
	env := map[string]any{"a": 1200.0, "b": 0.0, "c": 1.0, "previous.c": 2.5}
	want := "甲1200、乙0、比?、真是、去年2.5、串字、空空。"
	if got := render(r, env); got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
	env["b"] = 3.0
	want = "甲1200、乙3、比400、真是、去年2.5、串字、空空。"
	if got := render(r, env); got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
	plain := compileRule(t, "甲 > 0", "没有表达式")
	if got := render(plain, env); got != "没有表达式" {
		t.Errorf("Render = %q", got)
	}
}

// tenth is a variable so that the arithmetic on it is done in float64, with
// its rounding, and not exactly by the compiler.
var tenth = 0.1

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{3.0, "3"},
		{2.5, "2.5"},
		{1.0 / 3, "0.3333"},
		{2.0 / 3, "0.6667"},
		{-1.25, "-1.25"},
		{12345678.0, "12345678"},
		{123456789012.0, "123456789012"},
		{99999999999.0, "99999999999"}, // the largest whole number printed as an int
		{-99999999999.0, "-99999999999"},
		{1e11, "100000000000"},
		{9007199254740991.0, "9007199254740990"}, // rounded to four decimals in float64
		{0.00001, "0"},
		{tenth + 2*tenth, "0.3"},
		{0.3 - (tenth + 2*tenth), "0"}, // -5.5e-17: no "-0" in a message
		{-0.00001, "0"},
		{math.Copysign(0, -1), "0"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "+Inf"},
		{7, "7"},
		{true, "是"},
		{false, "否"},
		{"文字", "文字"},
		{nil, "空"},
		{[]int{1}, "?"},
	} {
		if got := rules.FormatValue(tc.in); got != tc.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEnums(t *testing.T) {
	for _, s := range []rules.Severity{rules.SevError, rules.SevWarning, rules.SevInfo} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back rules.Severity
		if err := back.UnmarshalText(b); err != nil || back != s || s.String() != string(b) {
			t.Errorf("severity %d: %q round-trips to %d (%v)", s, b, back, err)
		}
	}
	if !(rules.SevError < rules.SevWarning && rules.SevWarning < rules.SevInfo) {
		t.Error("severities are not ordered most severe first")
	}
	var s rules.Severity
	if err := s.UnmarshalText([]byte("Error")); err == nil {
		t.Error(`UnmarshalText("Error") accepted`)
	}
	for typ, name := range map[rules.Type]string{rules.Integer: "integer", rules.Number: "number", rules.Percent: "percent"} {
		if b, _ := typ.MarshalText(); string(b) != name || typ.String() != name {
			t.Errorf("type %d marshals as %q", typ, b)
		}
	}
}

func TestIndicatorJSON(t *testing.T) {
	rs, err := loadOne(t, "styles.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := rs.Forms["styles_demo"]
	b, err := json.Marshal(f.Indicators)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"id":"teachers","name":"教师数","unit":"人","type":"integer","required":true,"min":0,"section":"一、教育"},` +
		`{"id":"students","name":"学生数","unit":"人","type":"integer","required":false,"min":0,"max":1000000,"section":"一、教育"},` +
		`{"id":"budget","name":"经费","unit":"万元","type":"number","required":false},` +
		`{"id":"rate","name":"达标率","unit":"%","type":"percent","required":false,"min":50,"max":100}]`
	if string(b) != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", b, want)
	}
	ind, _ := f.Indicator("teachers")
	if len(ind.Patterns) != 2 || ind.Patterns[1].FindStringSubmatch("专任教师共1,200名")[1] != "1,200" {
		t.Errorf("patterns = %v", ind.Patterns)
	}
}
