package extract_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/rules"
)

// shippedForm loads the form the patterns were written for.
func shippedForm(t testing.TB) *rules.Form {
	t.Helper()
	rs, err := rules.LoadFS(configs.Forms, "forms", "embedded")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rs.Form("edu_sports_halfyear")
	if !ok {
		t.Fatal("no form edu_sports_halfyear")
	}
	return f
}

// fixedInSeed are the figures the template writes out instead of "xx".
var fixedInSeed = map[string]float64{
	"special_ed_per_pupil_funding": 7000,
	"special_ed_majors":            3,
	"special_ed_employment_rate":   90,
}

// TestSeedTemplate runs the extraction on the template report, whose
// figures are all placeholders: every placeholder must be found with its
// indicator, and only the three figures the template writes out are found.
func TestSeedTemplate(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "seed")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(paths) == 0 {
		t.Skipf("no seed report in %s: the template test needs the shared seed", dir)
	}
	f := shippedForm(t)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			res := extract.Extract(f, string(b))
			seen := map[string]int{}
			var unplaced []string
			for _, ph := range res.Placeholders {
				if ph.ID == "" {
					unplaced = append(unplaced, ph.Snippet)
					continue
				}
				seen[ph.ID]++
			}
			for _, ind := range f.Indicators {
				if _, fixed := fixedInSeed[ind.ID]; fixed {
					continue
				}
				if seen[ind.ID] != 1 {
					t.Errorf("%s (%s): %d placeholders, want 1", ind.ID, ind.Name, seen[ind.ID])
				}
			}
			// The template's other leftovers name the city, not a figure.
			if len(unplaced) != 3 {
				t.Errorf("placeholders without an indicator: %q, want the 3 that name the city", unplaced)
			}
			if len(res.Figures) != len(fixedInSeed) {
				t.Errorf("figures %v, want only %v", res.Figures, fixedInSeed)
			}
			for id, want := range fixedInSeed {
				if got, ok := res.Figures[id]; !ok || got.Value != want {
					t.Errorf("%s = %+v, want %v", id, got, want)
				}
			}
			if n := res.Figures["special_ed_per_pupil_funding"].Note; n != "以上" {
				t.Errorf("7000元以上: note %q, want 以上", n)
			}
			if len(res.Missing) != 0 || len(res.Ambiguous) != 0 {
				t.Errorf("missing %v, ambiguous %+v; want none", res.Missing, res.Ambiguous)
			}
			// Offsets index the text by code point.
			runes := []rune(string(b))
			for _, ph := range res.Placeholders {
				if got := string(runes[ph.Offset : ph.Offset+ph.Length]); got != ph.Raw {
					t.Errorf("placeholder at %d: text %q, raw %q", ph.Offset, got, ph.Raw)
				}
			}
		})
	}
}
