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

// RowCheck checks a row checked elsewhere as the report shows it: its
// verdict, messages, fields and check id. It is called on several
// goroutines at once when the report is written (a checker.Checker may
// be).
type RowCheck func(*checker.Values) *checker.Result

// RowsReport builds the report of rows checked elsewhere: figcheck audit
// --db --table, where a database decided which rows break which rules
// (package sqlcheck) and the checker checks the rows it flagged. Such a
// report has row checks only: no batch checks, no anomaly tests. A listed
// row is kept as its figures, not as its check (some 3 KB a row), and is
// checked again, by the same RowCheck, when the report is written.
type RowsReport struct {
	rep     *Report
	listed  *listedRows // rep.listed
	t       *tally
	periods map[string]int32 // numbers in listed.periods
	// errs and warns are each unit's error and warning counts, by its
	// number in listed.units.
	errs, warns []int32
	problems    problems // as an audit keeps them: the first of each kind
}

// listedRows are the rows a RowsReport lists, as their figures, and what
// renders them again: their units (every unit of the rows, listed or not,
// numbered), their periods and the check.
type listedRows struct {
	source  string
	check   RowCheck
	rows    []listedRow
	units   unitTable
	periods []string
	// block is the last of the blocks the rows' figures are cut from.
	block []float64
}

// listedRow is a listed row's figures (checker.Values), its unit and
// period by number.
type listedRow struct {
	unit, period int32
	nums, prev   []float64
	raw          []any
	explain      map[string]string
}

// floatBlock is how many figures a block of listedRows holds.
const floatBlock = 1 << 13

// NewRowsReport starts the report of rows of form f read from source (a
// table name, shown as the rows' file), whose listed rows check renders.
func NewRowsReport(f *rules.Form, source string, check RowCheck) *RowsReport {
	l := &listedRows{source: source, check: check, units: newUnitTable()}
	b := &RowsReport{
		rep: &Report{
			// Empty lists, not nulls: the same shape as an audit of files.
			ReportHead: ReportHead{Form: f.ID, Title: f.Title, Ruleset: f.Digest, Inputs: []InputFile{},
				Benford: []anomaly.BenfordResult{}, UnitBenford: []UnitDigits{}, Tests: []TestStatus{}, Cases: []Case{}},
			Findings: []Finding{}, Problems: []Problem{}, form: f, listed: l,
		},
		listed: l, periods: map[string]int32{},
	}
	var lim Limits
	lim.defaults()
	b.problems.max = lim.Problems
	b.t = newTally(&b.rep.Summary)
	return b
}

// count counts a row and returns its unit's and period's numbers.
func (b *RowsReport) count(unit, period string) (u, p int32, err error) {
	b.rep.Summary.Rows++
	l := b.listed
	h := l.units.hash(unit)
	u, ok := l.units.find(unit, h)
	if !ok {
		if u, err = l.units.add(unit, h); err != nil {
			return 0, 0, err
		}
		b.errs, b.warns = append(b.errs, 0), append(b.warns, 0)
	}
	p, ok = b.periods[period]
	if !ok {
		p = int32(len(l.periods))
		b.periods[period] = p
		l.periods = append(l.periods, period)
	}
	return u, p, nil
}

// Pass counts a row with no violation and no evaluation error.
func (b *RowsReport) Pass(unit, period string) error {
	if _, _, err := b.count(unit, period); err != nil {
		return err
	}
	b.t.row(&passed)
	return nil
}

var passed = checker.Result{Verdict: checker.Pass}

// Add checks a row with a violation or an evaluation error (with the
// report's RowCheck), counts it, keeps a copy of its figures (v's
// Explanations as they are) to render it again and returns its check.
func (b *RowsReport) Add(v *checker.Values) (*checker.Result, error) {
	u, p, err := b.count(v.Unit, v.Period)
	if err != nil {
		return nil, err
	}
	l := b.listed
	res := l.check(v)
	b.t.row(res)
	b.errs[u] += int32(res.Summary.Errors)
	b.warns[u] += int32(res.Summary.Warnings)
	l.rows = append(l.rows, listedRow{unit: u, period: p, nums: l.keep(v.Nums), prev: l.keep(v.Prev),
		raw: slices.Clone(v.Raw), explain: v.Explanations})
	return res, nil
}

// keep copies figures into the rows' blocks (nil stays nil: no previous
// period).
func (l *listedRows) keep(xs []float64) []float64 {
	if xs == nil {
		return nil
	}
	if cap(l.block)-len(l.block) < len(xs) {
		l.block = make([]float64, 0, max(floatBlock, len(xs)))
	}
	at := len(l.block)
	l.block = append(l.block, xs...)
	return l.block[at:len(l.block):len(l.block)]
}

// len is how many rows are listed.
func (l *listedRows) len() int {
	if l == nil {
		return 0
	}
	return len(l.rows)
}

// unitOf is the unit of listed row k.
func (l *listedRows) unitOf(k int) string { return l.units.name(l.rows[k].unit) }

// render checks listed row k again, as Add did, for the report.
func (l *listedRows) render(k int) RowReport {
	r := &l.rows[k]
	v := checker.Values{Unit: l.units.name(r.unit), Period: l.periods[r.period], Nums: r.nums, Prev: r.prev, Raw: r.raw, Explanations: r.explain}
	res := l.check(&v)
	return RowReport{File: l.source, Unit: v.Unit, Period: v.Period, CheckID: res.CheckID, Verdict: res.Verdict,
		Summary: res.Summary, Violations: res.Violations, EvalErrors: res.EvalErrors}
}

// Problem records a problem with the input.
func (b *RowsReport) Problem(p Problem) { b.ProblemOf("", p) }

// ProblemOf records a problem of a kind (such as one row's disagreement
// between the database and the checker): the first Limits.Problems of a
// kind are listed, the others counted, as in an audit of files. An empty
// kind is the problem's message.
func (b *RowsReport) ProblemOf(kind string, p Problem) {
	if p.File == "" {
		p.File = b.listed.source
	}
	p.kind = kind
	b.problems.add(p)
}

// Report finishes the report.
func (b *RowsReport) Report() *Report {
	s := &b.rep.Summary
	l := b.listed
	b.rep.Problems = b.problems.listed()
	s.Units, s.Problems = len(l.units.units), b.problems.total
	s.Periods = slices.Sorted(slices.Values(l.periods))
	b.t.finishWith(func(yield func(*UnitRank) bool) {
		for u := range b.errs {
			if e, w := b.errs[u], b.warns[u]; e+w > 0 && !yield(&UnitRank{Unit: l.units.name(int32(u)), Errors: int(e), Warnings: int(w)}) {
				return
			}
		}
	})
	b.rep.AuditedAt = time.Now().Truncate(time.Second)
	return b.rep
}

// tally counts row checks and findings into a Summary: verdicts and the
// rules violated most, and ranks the units with the most problems. Every
// report, from files or from a database's rows (RowsReport), is summed up
// by it; each keeps its units' counts by their number.
type tally struct {
	s     *Summary
	rules map[string]*RuleCount
}

func newTally(s *Summary) *tally {
	s.ByKind = map[string]int{}
	return &tally{s: s, rules: map[string]*RuleCount{}}
}

// row counts one row's verdict and violated rules (RowsReport; the
// Auditor counts its rows from their compact outcomes and fills rules
// itself).
func (t *tally) row(res *checker.Result) {
	switch res.Verdict {
	case checker.Pass:
		t.s.Pass++
	case checker.Warn:
		t.s.Warn++
	default:
		t.s.Fail++
	}
	for i, v := range res.Violations {
		// A rule counts once a row, its first violation not explained.
		if v.Explained || slices.ContainsFunc(res.Violations[:i], func(w checker.Violation) bool { return !w.Explained && w.Rule == v.Rule }) {
			continue
		}
		rc := t.rules[v.Rule]
		if rc == nil {
			rc = &RuleCount{Rule: v.Rule, Name: v.Name, Severity: v.Severity.String()}
			t.rules[v.Rule] = rc
		}
		rc.Rows++
	}
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
