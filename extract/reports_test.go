package extract_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/extract"
)

// TestOwnWordsReports measures extraction on reports written in other
// words than the template's (testdata/reports: one .txt and its true
// figures in .want each). Every report must give at least 90 % of its
// figures and not one wrong: a figure the report does not state, or with
// another value, fails the test.
func TestOwnWordsReports(t *testing.T) {
	f := shippedForm(t)
	paths, _ := filepath.Glob("testdata/reports/*.txt")
	if len(paths) < 3 {
		t.Fatalf("%d reports in testdata/reports, want at least 3", len(paths))
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".txt")
		t.Run(name, func(t *testing.T) {
			text, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			want := readWant(t, strings.TrimSuffix(p, ".txt")+".want")
			res := extract.Extract(f, string(text))
			right, wrong := 0, 0
			for id, got := range res.Figures {
				w, ok := want[id]
				switch {
				case !ok:
					wrong++
					t.Errorf("WRONG %s = %v from %q: the report states no such figure", id, got.Value, got.Snippet)
				case got.Value != w.value:
					wrong++
					t.Errorf("WRONG %s = %v from %q, want %v", id, got.Value, got.Snippet, w.value)
				default:
					right++
				}
			}
			var missed []string
			for id := range want {
				if _, ok := res.Figures[id]; !ok {
					missed = append(missed, id)
				}
			}
			slices.Sort(missed)
			recall := float64(right) / float64(len(want))
			t.Logf("%s: %d of %d found (recall %.3f), %d wrong; missed %v", name, right, len(want), recall, wrong, missed)
			for _, a := range res.Ambiguous {
				t.Logf("ambiguous %s (%s): %d candidates, others %v", a.ID, a.Reason, a.Count, a.Others)
			}
			if recall < 0.9 {
				t.Errorf("recall %.3f below 0.9", recall)
			}
		})
	}
}
