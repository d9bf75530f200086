package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/rules"
)

func shippedForm(t *testing.T) *rules.Form {
	t.Helper()
	rs, err := configs.LoadRules("../../../configs/forms")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rs.Form("edu_sports_halfyear")
	if !ok {
		t.Fatal("no form edu_sports_halfyear")
	}
	return f
}

// TestRegoShippedForm: every rule of the shipped form translates.
func TestRegoShippedForm(t *testing.T) {
	f := shippedForm(t)
	src, err := Rego(f)
	if err != nil {
		t.Fatalf("%v (extend bench/opa/tool/rego.go)", err)
	}
	for _, r := range f.Rules {
		if n := strings.Count(src, "violations contains \""+r.ID+"\" if {"); n != 1 {
			t.Errorf("rule %s appears %d times", r.ID, n)
		}
	}
}

func TestTranslate(t *testing.T) {
	f := shippedForm(t)
	tr := translator{form: f}
	for _, tc := range []struct{ in, want string }{
		{"金牌数 <= 参赛项目数", "(cur.gold_medals <= cur.events_entered)"},
		{"gold_medals <= 3 * events_entered", "(cur.gold_medals <= (3 * cur.events_entered))"},
		{"sum(金牌数, 银牌数) > 0", "(sum([cur.gold_medals, cur.silver_medals]) > 0)"},
		{"between(ratio(金牌数, previous.金牌数), 0.8, 1.25)", "between((cur.gold_medals / prev.gold_medals), 0.8, 1.25)"},
		{"share(金牌数, 参赛项目数) <= 50", "(((cur.gold_medals / cur.events_entered) * 100) <= 50)"},
		{"approx(金牌数, 银牌数, 1)", "(abs(cur.gold_medals - cur.silver_medals) <= 1)"},
		{"max(金牌数, 银牌数) >= -1", "(max([cur.gold_medals, cur.silver_medals]) >= (0 - 1))"},
	} {
		got, err := tr.term(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"金牌数 > 0 && 银牌数 > 0", "no_such_figure > 1", "len(金牌数) > 0", "金牌数 in [1, 2]", "ratio(金牌数) > 1"} {
		if _, err := tr.term(in); !errors.Is(err, errUnsupported) {
			t.Errorf("%s: err %v, want errUnsupported", in, err)
		}
	}
}

func loadBase(t *testing.T) *checker.Submission {
	t.Helper()
	data, err := os.ReadFile("../testdata/base.json")
	if err != nil {
		t.Fatal(err)
	}
	var s checker.Submission
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestAgreement evaluates generated submissions with the checker and with
// `opa eval` on the generated policy, and wants the same rule ids.
func TestAgreement(t *testing.T) {
	f := shippedForm(t)
	valid, failing, err := Generate(f, loadBase(t), 30, rand.New(rand.NewPCG(3, 7)))
	if err != nil {
		t.Fatal(err)
	}
	var c checker.Checker
	for _, s := range valid {
		if r := c.Check(f, s); len(r.Violations) != 0 {
			t.Fatalf("a valid submission has violations: %v", r.Violations[0].Rule)
		}
	}
	opa, err := exec.LookPath("../.bin/opa")
	if err != nil {
		if opa, err = exec.LookPath("opa"); err != nil {
			t.Skip("skipping: no opa (bench/opa/run installs it into bench/opa/.bin)")
		}
	}
	src, err := Rego(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	subs := append(valid, failing...)
	in, _ := json.Marshal(map[string]any{"subs": subs})
	if err := os.WriteFile(filepath.Join(dir, "policy.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "input.json"), in, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(opa, "eval", "--format", "json", "-d", filepath.Join(dir, "policy.rego"), "-i", filepath.Join(dir, "input.json"),
		"[v | some s in input.subs; v := data.figcheck.violations with input as s]")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("opa eval: %v\n%s", err, stderr.String())
	}
	var res struct {
		Result []struct {
			Expressions []struct {
				Value [][]string `json:"value"`
			} `json:"expressions"`
		} `json:"result"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Result) != 1 || len(res.Result[0].Expressions) != 1 {
		t.Fatalf("opa eval output: %v\n%s", err, out)
	}
	got := res.Result[0].Expressions[0].Value
	if len(got) != len(subs) {
		t.Fatalf("opa answered %d of %d submissions", len(got), len(subs))
	}
	for i, s := range subs {
		var want []string
		for _, v := range c.Check(f, s).Violations {
			want = append(want, v.Rule)
		}
		slices.Sort(want)
		want = slices.Compact(want)
		o := slices.Clone(got[i])
		slices.Sort(o)
		if !slices.Equal(want, o) {
			t.Errorf("submission %d (%s): figcheck %v, opa %v", i, s.Unit, want, o)
		}
	}
}
