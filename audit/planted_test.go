package audit

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/checker"
)

// plantChecks say, for each plant of genBatch, which finding finds it.
// A plant is found when its unit has a significant case file holding
// that finding.
var plantChecks = []struct {
	what, kind string
	// peer is the other plant of a copy; indicator the generator's field
	// naming the cell ("jump", "total", "typo").
	peer, indicator string
}{
	{"copy", KindDuplicate, "source", ""},
	{"source", KindDuplicate, "copy", ""},
	{"exact", KindDuplicate, "exact_source", ""},
	{"exact_source", KindDuplicate, "exact", ""},
	{"round", KindLastDigit, "", ""},
	{"round2", KindLastDigit, "", ""},
	{"typo_small", KindOutlier, "", "typo"},
	{"typo_big", KindOutlier, "", "typo"},
	{"fabricated", "", "", ""},
	{"jump", KindJump, "", "jump"},
	{"total", KindHierarchy, "", "total"},
	{"placeholder", checker.BuiltinPlaceholder, "", ""},
}

// sweepStats add up the outcome of planted batches.
type sweepStats struct {
	batches int
	// planted and found count the plants by what; byTest the plants each
	// test found, by kind.
	planted, found map[string]int
	byTest         map[string]int
	// caught counts, by kind, the planted units (of any plant) whose case
	// file holds a finding of that kind.
	caught map[string]int
	// clean is the number of clean units; accused those with a case file,
	// flagged those with any finding (a case file not significant
	// included), falseByTest the findings on clean units by kind; batch
	// the findings about the whole batch.
	clean, accused, flagged int
	falseByTest             map[string]int
	batch                   int
	misses                  []string
}

func newSweepStats() *sweepStats {
	return &sweepStats{planted: map[string]int{}, found: map[string]int{}, byTest: map[string]int{}, falseByTest: map[string]int{}, caught: map[string]int{}}
}

// add audits a planted batch and counts what was found.
func (s *sweepStats) add(t *testing.T, label string, g *generator, b *batch) *Report {
	t.Helper()
	_, rep := runAudit(t, g.f, b.csvBytes(g.f), FormatCSV, Options{})
	s.batches++
	cases := map[string]*Case{}
	for i := range rep.Cases {
		cases[rep.Cases[i].Unit] = &rep.Cases[i]
	}
	placeholder := map[string]bool{}
	for r := range rep.Rows() {
		for _, v := range r.Violations {
			if v.Rule == checker.BuiltinPlaceholder {
				placeholder[r.Unit] = true
			}
		}
	}
	cell := map[string]string{"jump": g.jump, "total": g.total}
	for _, pc := range plantChecks {
		unit, ok := b.plant[pc.what]
		if !ok {
			continue
		}
		s.planted[pc.what]++
		found := false
		if pc.kind == checker.BuiltinPlaceholder {
			found = placeholder[unit]
		} else if c := cases[unit]; c != nil && c.Significant {
			ind := cell[pc.indicator]
			if pc.indicator == "typo" {
				ind = b.plant[pc.what+"_indicator"]
			}
			for j := range rep.Items(c) {
				for _, i := range rep.Reasons(c, j) {
					f := rep.Findings[i]
					if (pc.kind == "" || f.Kind == pc.kind) && (pc.peer == "" || itemPeer(rep, c, j) == b.plant[pc.peer]) &&
						(ind == "" || f.Indicator() == ind && f.Period() == p2) && (pc.what != "total" || f.Value == 5) {
						found = true
						if pc.kind != "" {
							s.byTest[f.Kind]++
						}
					}
				}
			}
		}
		if c := cases[unit]; c != nil && c.Significant && pc.kind != checker.BuiltinPlaceholder {
			for _, k := range c.Tests() {
				s.caught[k]++
			}
		}
		if found {
			s.found[pc.what]++
		} else {
			s.misses = append(s.misses, fmt.Sprintf("%s: planted %s (%s) not found", label, pc.what, unit))
		}
	}
	isClean := map[string]bool{}
	for _, u := range b.clean {
		isClean[u] = true
	}
	s.clean += len(b.clean)
	for _, f := range rep.Findings {
		switch {
		case f.Unit == AllUnits:
			s.batch++
			t.Logf("%s: batch-wide finding [%s] %s", label, f.Kind, f.ReasonText())
		case isClean[f.Unit] || isClean[f.Peer()]:
			s.falseByTest[f.Kind]++
			t.Logf("%s: clean unit finding [%s] %s", label, f.Kind, f.ReasonText())
		}
	}
	for _, c := range rep.Cases {
		if isClean[c.Unit] {
			s.flagged++
			if c.Significant {
				s.accused++
			}
		}
	}
	return rep
}

// report logs the rates, one line per plant and per test.
func (s *sweepStats) report(t *testing.T) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d batches, %d clean units: %d accused (significant case file), %d with any finding, %d batch-wide findings\n",
		s.batches, s.clean, s.accused, s.flagged, s.batch)
	for _, pc := range plantChecks {
		if n := s.planted[pc.what]; n > 0 {
			fmt.Fprintf(&b, "  plant %-12s found %d/%d\n", pc.what, s.found[pc.what], n)
		}
	}
	kinds := []string{KindDuplicate, KindLastDigit, KindOutlier, KindJump, KindHierarchy, KindBenford1, KindBenford2, KindBatchRule}
	for _, k := range kinds {
		fmt.Fprintf(&b, "  test %-26s plants it targets found %3d, planted units with its finding %3d, findings on clean units %d\n",
			k, s.byTest[k], s.caught[k], s.falseByTest[k])
	}
	for k, n := range s.falseByTest {
		if !slices.Contains(kinds, k) {
			fmt.Fprintf(&b, "  test %-26s findings on clean units %d\n", k, n)
		}
	}
	t.Log(b.String())
	return b.String()
}

// check fails the test on a missed plant or more clean units accused
// than maxAccused.
func (s *sweepStats) check(t *testing.T, maxAccused int) {
	t.Helper()
	for _, m := range s.misses {
		t.Error(m)
	}
	if s.accused > maxAccused || s.flagged > maxAccused || s.batch > 0 {
		t.Errorf("%d of %d clean units accused, %d with a finding, %d batch-wide findings (want ≤ %d, ≤ %d, 0)",
			s.accused, s.clean, s.flagged, s.batch, maxAccused, maxAccused)
	}
}

// TestPlantedSizes runs the planted batch with sizes spanning 40× over 40
// seeds, on the shipped form and on the small form of 11 indicators:
// every plant is found in every seed, and at most one clean unit in
// 1,000 gets any finding.
func TestPlantedSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("80 batches")
	}
	for _, form := range []struct {
		name string
		gen  func(testing.TB, uint64) *generator
	}{{"shipped", newGenerator}, {"small", newSmallGenerator}} {
		t.Run(form.name, func(t *testing.T) {
			s := newSweepStats()
			for seed := uint64(1); seed <= 40; seed++ {
				g := form.gen(t, seed)
				s.add(t, fmt.Sprintf("seed %d", seed), g, g.genBatch(40))
			}
			s.report(t)
			s.check(t, s.clean/1000)
		})
	}
}

// itemPeer is the other unit of a copy the evidence item i of c is about.
func itemPeer(rep *Report, c *Case, i int) string {
	_, _, _, peer := rep.ItemCell(c, i)
	return peer
}
