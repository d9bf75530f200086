package audit

import (
	"slices"

	"github.com/figcheck/figcheck/audit/anomaly"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// RowsReport builds the report of rows checked elsewhere: figcheck audit
// --db --table, where a database decided which rows break which rules
// (package sqlcheck) and the checker rendered the rows it flagged. Such a
// report has row checks only: no batch checks, no anomaly tests.
type RowsReport struct {
	rep     *Report
	t       *tally
	source  string
	units   map[string]struct{}
	periods map[string]struct{}
}

// NewRowsReport starts the report of rows of form f read from source (a
// table name, shown as the rows' file).
func NewRowsReport(f *rules.Form, source string) *RowsReport {
	b := &RowsReport{
		rep: &Report{
			Form: f.ID, Title: f.Title, Ruleset: f.Digest, Benford: []anomaly.BenfordResult{},
			Rows: []RowReport{}, Findings: []Finding{}, Problems: []Problem{},
		},
		source: source, units: map[string]struct{}{}, periods: map[string]struct{}{},
	}
	b.t = newTally(&b.rep.Summary)
	return b
}

func (b *RowsReport) count(unit, period string) {
	b.rep.Summary.Rows++
	if _, ok := b.units[unit]; !ok {
		b.units[unit] = struct{}{}
	}
	if _, ok := b.periods[period]; !ok {
		b.periods[period] = struct{}{}
	}
}

// Pass counts a row with no violation and no evaluation error.
func (b *RowsReport) Pass(unit, period string) {
	b.count(unit, period)
	b.t.row(unit, rowResult{Verdict: checker.Pass})
}

// Add adds the check of a row with a violation or an evaluation error.
func (b *RowsReport) Add(unit, period string, res *checker.Result) {
	b.count(unit, period)
	rr := rowResult{CheckID: res.CheckID, Verdict: res.Verdict, Summary: res.Summary, Violations: res.Violations, EvalErrors: res.EvalErrors}
	b.t.row(unit, rr)
	b.rep.Rows = append(b.rep.Rows, RowReport{File: b.source, Unit: unit, Period: period, CheckID: rr.CheckID, Verdict: rr.Verdict,
		Summary: rr.Summary, Violations: rr.Violations, EvalErrors: rr.EvalErrors})
}

// Problem records a problem with the input.
func (b *RowsReport) Problem(p Problem) {
	if p.File == "" {
		p.File = b.source
	}
	b.rep.Problems = append(b.rep.Problems, p)
}

// Report finishes the report.
func (b *RowsReport) Report() *Report {
	s := &b.rep.Summary
	s.Units, s.Problems = len(b.units), len(b.rep.Problems)
	s.Periods = make([]string, 0, len(b.periods))
	for p := range b.periods {
		s.Periods = append(s.Periods, p)
	}
	slices.Sort(s.Periods)
	b.t.finish()
	return b.rep
}
