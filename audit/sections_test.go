package audit

import (
	"cmp"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/figcheck/figcheck/checker"
)

// rowsReportOf is a report of rep's listed rows as if checked elsewhere
// (RowsReport, source "t"), its RowCheck giving each row its check in
// rep: a row's one figure is its place among them.
func rowsReportOf(t *testing.T, rep *Report) *RowsReport {
	t.Helper()
	var checks []*checker.Result
	b := NewRowsReport(rep.form, "t", func(v *checker.Values) *checker.Result { return checks[int(v.Nums[0])] })
	for row := range rep.Rows() {
		checks = append(checks, &checker.Result{CheckID: row.CheckID, Verdict: row.Verdict, Summary: row.Summary,
			Violations: row.Violations, EvalErrors: row.EvalErrors})
		if _, err := b.Add(&checker.Values{Unit: row.Unit, Period: row.Period, Nums: []float64{float64(len(checks) - 1)}}); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// byUnitInMemory is how the text report grouped its units before
// unitSections: every listed row gathered first.
func byUnitInMemory(r *Report) []UnitSection {
	idx := map[string]int{}
	var out []UnitSection
	get := func(u string) *UnitSection {
		i, ok := idx[u]
		if !ok {
			i = len(out)
			idx[u] = i
			out = append(out, UnitSection{Unit: u})
		}
		return &out[i]
	}
	for _, c := range r.Cases {
		get(c.Unit)
	}
	for _, u := range r.Summary.TopUnits {
		get(u.Unit)
	}
	ranked := len(out)
	for row := range r.Rows() {
		u := get(row.Unit)
		u.Rows = append(u.Rows, row)
		u.Errors += row.Summary.Errors
		u.Warnings += row.Summary.Warnings
	}
	for _, f := range r.Findings {
		if f.Unit != AllUnits {
			u := get(f.Unit)
			u.Findings = append(u.Findings, f)
		}
	}
	slices.SortStableFunc(out[ranked:], func(a, b UnitSection) int { return cmp.Compare(a.Unit, b.Unit) })
	return out
}

// TestUnitSectionsAsGathered: the sections the text report streams, one
// unit at a time, are those it used to gather in memory, in the same
// order, for an audit and for rows checked elsewhere.
func TestUnitSectionsAsGathered(t *testing.T) {
	shuffled, err := os.ReadFile("testdata/oracle/shuffled.csv")
	if err != nil {
		t.Fatal(err)
	}
	planted, _ := plantedReport(t, Options{})
	_, oracle := runAudit(t, shippedForm(t), shuffled, FormatCSV, Options{Workers: 3})
	_, retail := runAudit(t, retailersForm(t), retailersCSV(600, 1), FormatCSV, Options{})
	for name, rep := range map[string]*Report{"planted": planted, "oracle shuffled": oracle, "retailers": retail} {
		b := rowsReportOf(t, rep)
		for _, r := range []*Report{rep, b.Report()} {
			want := byUnitInMemory(r)
			i := 0
			for got := range r.unitSections() {
				if i >= len(want) {
					t.Fatalf("%s: more than %d sections", name, len(want))
				}
				g := *got
				if len(g.Rows) == 0 {
					g.Rows = nil // reused from the unit before
				}
				if len(g.Findings) == 0 {
					g.Findings = nil
				}
				if !reflect.DeepEqual(g, want[i]) {
					t.Fatalf("%s: section %d is %+v, want %+v", name, i, *got, want[i])
				}
				i++
			}
			if i != len(want) || i == 0 {
				t.Fatalf("%s: %d sections, want %d", name, i, len(want))
			}
		}
	}
}
