package audit

import (
	"cmp"
	"iter"
	"slices"
	"sync/atomic"
	"time"

	"github.com/figcheck/figcheck/audit/anomaly"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// RowsReport builds the report of rows checked elsewhere: figcheck audit
// --db --table, where a database decided which rows break which rules
// (package sqlcheck) and the checker rendered the rows it flagged. Such a
// report has row checks only: no batch checks, no anomaly tests.
type RowsReport struct {
	rep      *Report
	t        *tally
	source   string
	units    map[string]struct{}
	periods  map[string]struct{}
	problems problems // as an audit keeps them: the first of each kind
}

// NewRowsReport starts the report of rows of form f read from source (a
// table name, shown as the rows' file).
func NewRowsReport(f *rules.Form, source string) *RowsReport {
	b := &RowsReport{
		rep: &Report{
			// Empty lists, not nulls: the same shape as an audit of files.
			ReportHead: ReportHead{Form: f.ID, Title: f.Title, Ruleset: f.Digest, Inputs: []InputFile{},
				Benford: []anomaly.BenfordResult{}, UnitBenford: []UnitDigits{}, Tests: []TestStatus{}, Cases: []Case{}},
			Findings: []Finding{}, Problems: []Problem{}, form: f,
		},
		source: source, units: map[string]struct{}{}, periods: map[string]struct{}{},
	}
	var l Limits
	l.defaults()
	b.problems.max = l.Problems
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
	b.t.row(unit, &checker.Result{Verdict: checker.Pass})
}

// Add adds the check of a row with a violation or an evaluation error.
func (b *RowsReport) Add(unit, period string, res *checker.Result) {
	b.count(unit, period)
	b.t.row(unit, res)
	b.rep.listed = append(b.rep.listed, RowReport{File: b.source, Unit: unit, Period: period, CheckID: res.CheckID, Verdict: res.Verdict,
		Summary: res.Summary, Violations: res.Violations, EvalErrors: res.EvalErrors})
}

// Problem records a problem with the input.
func (b *RowsReport) Problem(p Problem) { b.ProblemOf("", p) }

// ProblemOf records a problem of a kind (such as one row's disagreement
// between the database and the checker): the first Limits.Problems of a
// kind are listed, the others counted, as in an audit of files. An empty
// kind is the problem's message.
func (b *RowsReport) ProblemOf(kind string, p Problem) {
	if p.File == "" {
		p.File = b.source
	}
	p.kind = kind
	b.problems.add(p)
}

// Report finishes the report.
func (b *RowsReport) Report() *Report {
	s := &b.rep.Summary
	b.rep.Problems = b.problems.listed()
	s.Units, s.Problems = len(b.units), b.problems.total
	s.Periods = make([]string, 0, len(b.periods))
	for p := range b.periods {
		s.Periods = append(s.Periods, p)
	}
	slices.Sort(s.Periods)
	b.t.finish()
	b.rep.AuditedAt = time.Now().Truncate(time.Second)
	return b.rep
}

// tally counts row checks and findings into a Summary: verdicts, the rules
// violated most and the units with the most problems. Every report, from
// files or from a database's rows (RowsReport), is summed up by it.
type tally struct {
	s     *Summary
	rules map[string]*RuleCount
	units map[string]*UnitRank
}

func newTally(s *Summary) *tally {
	s.ByKind = map[string]int{}
	return &tally{s: s, rules: map[string]*RuleCount{}, units: map[string]*UnitRank{}}
}

func (t *tally) unit(name string) *UnitRank {
	u := t.units[name]
	if u == nil {
		u = &UnitRank{Unit: name}
		t.units[name] = u
	}
	return u
}

// row counts one row's check (RowsReport; the Auditor counts its rows
// from their compact outcomes and fills rules and units itself).
func (t *tally) row(unit string, res *checker.Result) {
	switch res.Verdict {
	case checker.Pass:
		t.s.Pass++
	case checker.Warn:
		t.s.Warn++
	default:
		t.s.Fail++
	}
	u := t.unit(unit)
	u.Errors += res.Summary.Errors
	u.Warnings += res.Summary.Warnings
	seen := map[string]bool{}
	for _, v := range res.Violations {
		if v.Explained || seen[v.Rule] {
			continue
		}
		seen[v.Rule] = true
		rc := t.rules[v.Rule]
		if rc == nil {
			rc = &RuleCount{Rule: v.Rule, Name: v.Name, Severity: v.Severity.String()}
			t.rules[v.Rule] = rc
		}
		rc.Rows++
	}
}

// finish ranks the rules and units.
func (t *tally) finish() {
	t.finishWith(func(yield func(*UnitRank) bool) {
		for _, u := range t.units {
			if !yield(u) {
				return
			}
		}
	})
}

// finishWith ranks the rules and the units given.
func (t *tally) finishWith(units iter.Seq[*UnitRank]) {
	s := t.s
	for _, rc := range t.rules {
		s.TopRules = append(s.TopRules, *rc)
	}
	slices.SortFunc(s.TopRules, func(x, y RuleCount) int { return cmp.Or(cmp.Compare(y.Rows, x.Rows), cmp.Compare(x.Rule, y.Rule)) })
	s.TopRules = s.TopRules[:min(len(s.TopRules), topN)]
	for _, u := range topUnits(units) {
		s.TopUnits = append(s.TopUnits, *u)
	}
	if s.TopRules == nil {
		s.TopRules = []RuleCount{}
	}
	if s.TopUnits == nil {
		s.TopUnits = []UnitRank{}
	}
}

// topUnits returns the first topN of the units with a problem, kept
// sorted as they come: a batch has hundreds of thousands of units, and
// sorting them all to keep twenty cost a quarter of a second at a million
// rows.
func topUnits(units iter.Seq[*UnitRank]) []*UnitRank {
	rank := func(x, y *UnitRank) int {
		return cmp.Or(cmp.Compare(y.Errors+y.Findings, x.Errors+x.Findings), cmp.Compare(y.Warnings, x.Warnings), cmp.Compare(x.Unit, y.Unit))
	}
	top := make([]*UnitRank, 0, topN+1)
	for u := range units {
		if u.Errors+u.Warnings+u.Findings == 0 || len(top) == topN && rank(u, top[topN-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, u, rank)
		top = slices.Insert(top, i, u)[:min(len(top)+1, topN)]
	}
	return top
}

// tally sums up an audit's rows and findings into s: verdicts, findings
// by kind, the rules violated most and the units with the most problems.
// The rows and the findings are counted in runs on the workers, a unit's
// counts kept by its number (a map of every unit with a problem took
// 50 MB at a million rows).
func (a *Auditor) tally(s *Summary, findings []Finding) {
	t := newTally(s)
	nu := a.unitCount()
	errs, warns, finds := make([]atomic.Int32, nu), make([]atomic.Int32, nu), make([]atomic.Int32, nu)
	type counts struct {
		pass, warn, fail int
		ruleRows         []int
		byKind           map[string]int
		// others are the findings of units not among the rows'.
		others map[string]int
	}
	runs := 4 * a.opts.Workers
	tasks := make([]func() counts, runs)
	for k := range runs {
		tasks[k] = func() counts {
			c := counts{ruleRows: make([]int, len(a.rules.rules)), byKind: map[string]int{}}
			for i := k * a.rowCount() / runs; i < (k+1)*a.rowCount()/runs; i++ {
				r := a.rec(i)
				switch r.verdict() {
				case verdictPass:
					c.pass++
				case verdictWarn:
					c.warn++
				default:
					c.fail++
				}
				o := a.outcome(r)
				if o.errors > 0 || o.warnings > 0 {
					errs[r.unit].Add(int32(o.errors))
					warns[r.unit].Add(int32(o.warnings))
				}
				for code := range o.ruleCodes() {
					c.ruleRows[code]++
				}
			}
			for i := k * len(findings) / runs; i < (k+1)*len(findings)/runs; i++ {
				f := &findings[i]
				c.byKind[f.Kind]++
				if f.Unit == AllUnits {
					continue
				}
				if u, ok := a.units.find(f.Unit, a.units.hash(f.Unit)); ok {
					finds[u].Add(1)
				} else {
					if c.others == nil {
						c.others = map[string]int{}
					}
					c.others[f.Unit]++
				}
			}
			return c
		}
	}
	ruleRows := make([]int, len(a.rules.rules))
	others := map[string]int{}
	for _, c := range runTasks(tasks, a.opts.Workers) {
		s.Pass, s.Warn, s.Fail = s.Pass+c.pass, s.Warn+c.warn, s.Fail+c.fail
		for code, n := range c.ruleRows {
			ruleRows[code] += n
		}
		for kind, n := range c.byKind {
			s.ByKind[kind] += n
		}
		for u, n := range c.others {
			others[u] += n
		}
	}
	for code, n := range ruleRows {
		if n > 0 {
			rc := a.rules.rules[code]
			rc.Rows = n
			t.rules[rc.Rule] = &rc
		}
	}
	// Each run of units keeps its first topN, the first topN of which are
	// the batch's.
	units := make([]func() []*UnitRank, runs)
	for k := range runs {
		units[k] = func() []*UnitRank {
			return topUnits(func(yield func(*UnitRank) bool) {
				for u := k * nu / runs; u < (k+1)*nu/runs; u++ {
					e, w, f := errs[u].Load(), warns[u].Load(), finds[u].Load()
					if e+w+f > 0 && !yield(&UnitRank{Unit: a.units.name(int32(u)), Errors: int(e), Warnings: int(w), Findings: int(f)}) {
						return
					}
				}
			})
		}
	}
	tops := runTasks(units, a.opts.Workers)
	t.finishWith(func(yield func(*UnitRank) bool) {
		for _, top := range tops {
			for _, u := range top {
				if !yield(u) {
					return
				}
			}
		}
		for name, n := range others {
			if !yield(&UnitRank{Unit: name, Findings: n}) {
				return
			}
		}
	})
}
