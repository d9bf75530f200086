package checker_test

import (
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
