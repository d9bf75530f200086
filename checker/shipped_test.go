package checker_test

import (
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// shippedDir is the rule pack figcheck ships, relative to this package.
const shippedDir = "../configs/forms"

var shippedRules = sync.OnceValues(func() (*rules.Ruleset, error) { return rules.LoadDir(shippedDir) })

// shipped loads the shipped rule pack, failing (never skipping) when it does
// not load.
func shipped(tb testing.TB) *rules.Ruleset {
	tb.Helper()
	rs, err := shippedRules()
	if err != nil {
		for _, p := range rules.Problems(err) {
			tb.Error(p)
		}
		tb.Fatalf("the shipped rule pack %s does not load", shippedDir)
	}
	return rs
}

// TestShippedPack: the shipped forms load, every rule test written in them
// passes, and every rule has at least one passing and one failing case.
func TestShippedPack(t *testing.T) {
	rs := shipped(t)
	if len(rs.Forms) == 0 {
		t.Fatal("no forms shipped")
	}
	var c checker.Checker
	for _, id := range rs.FormIDs() {
		f, _ := rs.Form(id)
		t.Run(id, func(t *testing.T) {
			if len(f.Rules) == 0 {
				t.Fatal("form has no rules")
			}
			results := c.RunTests(f)
			ran := map[string]map[string]int{} // rule -> got -> count
			for _, tr := range results {
				if !tr.OK() {
					t.Error(tr)
				}
				if ran[tr.Rule] == nil {
					ran[tr.Rule] = map[string]int{}
				}
				ran[tr.Rule][tr.Got]++
			}
			for _, r := range f.Rules {
				if ran[r.ID]["pass"] == 0 || ran[r.ID]["fail"] == 0 {
					t.Errorf("%s: rule %s needs at least one passing and one failing test; its tests got %v", r.Pos, r.ID, ran[r.ID])
				}
			}
			t.Logf("%d rules, %d tests", len(f.Rules), len(results))
		})
	}
}

// TestShippedSignedChange: a decrease reads 下降, never 提高-.
func TestShippedSignedChange(t *testing.T) {
	f, _ := shipped(t).Form("edu_sports_halfyear")
	var c checker.Checker
	r := c.Check(f, &checker.Submission{Form: f.ID, Figures: map[string]any{"benke_rate": 60.0, "benke_rate_delta": -20.0}})
	found := false
	for _, v := range r.Violations {
		if strings.Contains(v.Message, "提高-") {
			t.Errorf("%s: %s", v.Rule, v.Message)
		}
		if strings.Contains(v.Message, "较去年下降20个百分点") {
			found = true
		}
	}
	if !found {
		t.Errorf("no message reads 较去年下降20个百分点: %+v", r.Violations)
	}
}

// TestShippedMessagesFullWidth: the shipped rules' messages, which units
// read, use full-width punctuation (outside the {{ }} expressions).
func TestShippedMessagesFullWidth(t *testing.T) {
	expr := regexp.MustCompile(`\{\{.*?\}\}`)
	for _, id := range shipped(t).FormIDs() {
		f, _ := shipped(t).Form(id)
		for _, r := range f.Rules {
			text := expr.ReplaceAllString(r.Message.Source, "")
			if i := strings.IndexAny(text, ",;:()!?"); i >= 0 {
				t.Errorf("%s: message %q has the half-width %q", r.ID, r.Message.Source, text[i:i+1])
			}
		}
	}
}
