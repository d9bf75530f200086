// Package audit reviews whole batches of submissions, as an inspector does:
// every unit's figures for one or more periods, read from CSV, XLSX, JSON
// or NDJSON. Each row is checked by the checker exactly as /v1/check would;
// then the batch as a whole is checked: the form's batch rules, hierarchy
// totals and period-over-period jumps, and the anomaly tests of package
// anomaly (Benford's law, round numbers, copied units, peer outliers).
//
// Rows are checked as they are read, by a pool of workers. What is kept
// per row is a compact vector of its figures (one float64 per indicator)
// and its violations, which is what the batch checks and statistics need:
// memory grows with units × periods × indicators, not with the file.
//
// A unit's "previous" figures are those of its latest earlier period.
// When rows come in period order (as exports do) that period has already
// been read when a row is checked. When it comes later, the row is checked
// again at the end with its previous filled in, from the figures kept.
package audit

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// Options tune an audit. The zero value uses the defaults.
type Options struct {
	// Workers is the number of goroutines running the checker and the
	// batch statistics (default GOMAXPROCS).
	Workers int
	// KeepCells lists every row in the 原始数据 sheet of the XLSX report,
	// from the figures the audit keeps anyway: usable values as numbers,
	// unusable ones as written.
	KeepCells bool
	// Per is a size indicator (id or name, e.g. a number of schools):
	// peer outliers then compare figures per unit of it.
	Per string
	// Alpha is the significance level of the batch-wide Benford test
	// (default 0.001). The per-unit digit tests run once per unit and so
	// need a stricter level: UnitAlpha (default 0.00001), or Alpha divided
	// by the number of units tested when that is smaller (Bonferroni), so
	// that a large batch of clean units is not expected to yield a single
	// finding by chance.
	Alpha, UnitAlpha float64
	// MinBenford and MinBenford2 are the least number of figures (of at
	// least 10) for a batch-wide first-digit and first-two-digits verdict
	// (defaults 100 and 1000); MinUnitBenford that for one unit's first
	// digits (default 60).
	MinBenford, MinBenford2, MinUnitBenford int
	// MinPeers is the least number of units that report an indicator in a
	// period for peer outliers to be computed (default 10).
	MinPeers int
	// OutlierZ is the modified z-score above which a figure is a peer
	// outlier (default 3.5).
	OutlierZ float64
	// MinSame is the least number of equal figures of at least 10 for two
	// units to be compared as possible copies (default 5; whether they are
	// copies is decided by the chance of so many equal figures); MaxDiffer
	// the largest share of differing figures among those compared
	// (default 0.1).
	MinSame   int
	MaxDiffer float64
	// FDR is the false discovery rate at which case files are significant
	// (Benjamini–Hochberg over the units' combined evidence, default 0.01).
	FDR float64
	// OnCheck, when set, is told every row check with the row as a
	// submission and its SubmissionDigest (from the worker goroutines, so
	// it must be safe for concurrent use): the service writes audit rows
	// to its decision log with it.
	OnCheck func(sub *checker.Submission, digest [32]byte, res *checker.Result)
	// Now is the clock stamping the report (default time.Now).
	Now func() time.Time
}

func (o *Options) defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.Workers, runtime.GOMAXPROCS(0))
	deff(&o.Alpha, 0.001)
	deff(&o.UnitAlpha, 1e-5)
	def(&o.MinBenford, 100)
	def(&o.MinBenford2, 1000)
	def(&o.MinUnitBenford, 60)
	def(&o.MinPeers, 10)
	deff(&o.OutlierZ, 3.5)
	def(&o.MinSame, 5)
	deff(&o.MaxDiffer, 0.1)
	deff(&o.FDR, 0.01)
}

// ErrUnknownIndicator is returned by New when Options.Per names no
// indicator of the form.
var ErrUnknownIndicator = errors.New("unknown indicator")

// Auditor collects the rows of a batch and checks them. Read may be called
// for several files, one after the other; then Finish.
type Auditor struct {
	form    *rules.Form
	opts    Options
	per     *rules.Indicator
	checker checker.Checker

	units    map[string]*unitRows
	recs     []*record
	problems []Problem
	inputs   []*tracked // the files read through Track

	small []bool // indicators left out of the digit tests (see smallCounts)

	// periods are the batch's periods with what the peer comparison
	// learnt of them (sizes, medians); tests the applicability of the
	// statistical tests. Both are written by findings, for the case files.
	periods []*periodRows
	tests   []TestStatus

	jobs chan job
	wg   sync.WaitGroup
	done bool
}

type unitRows struct {
	name string
	// periods holds the unit's rows in period order (a unit has few).
	periods []*record
}

// record is what is kept of one row.
type record struct {
	file         string
	line         int
	unit, period string
	vals         []float64   // by indicator index; NaN when absent or unusable
	bad          map[int]any // unusable values as written
	explain      map[string]string
	prevPeriod   string // the period used as previous when checked
	res          rowResult
}

// rowResult is the part of a checker.Result kept for the report.
type rowResult struct {
	CheckID    string
	Verdict    string
	Summary    checker.Summary
	Violations []checker.Violation
	EvalErrors []checker.EvalError
}

// maxPeriods bounds the periods of one unit, so that a hostile batch of
// one unit in 100,000 periods cannot make every row cost a scan.
const maxPeriods = 1000

// search returns where period is or would be in the unit's periods.
func (u *unitRows) search(period string) (int, bool) {
	return slices.BinarySearchFunc(u.periods, period, func(r *record, p string) int { return strings.Compare(r.period, p) })
}

// find returns the unit's row of a period.
func (u *unitRows) find(period string) *record {
	if i, ok := u.search(period); ok {
		return u.periods[i]
	}
	return nil
}

// insert adds a row keeping period order.
func (u *unitRows) insert(r *record) {
	i, _ := u.search(r.period)
	u.periods = slices.Insert(u.periods, i, r)
}

// previous is the unit's latest row of a period before period.
func (u *unitRows) previous(period string) *record {
	if i, _ := u.search(period); i > 0 {
		return u.periods[i-1]
	}
	return nil
}

// job is one row to check: its record, the figures kept in it as written
// (nil when all are plain numbers) and the unit's previous row, if any.
// A worker only reads the records, which the reading goroutine no longer
// writes once they are sent.
type job struct {
	rec  *record
	raw  []any
	prev *record
}

// New starts an audit of rows of form f.
func New(f *rules.Form, o Options) (*Auditor, error) {
	o.defaults()
	a := &Auditor{form: f, opts: o, units: map[string]*unitRows{}, jobs: make(chan job, 4*o.Workers)}
	if o.Per != "" {
		ind, ok := f.Indicator(o.Per)
		if !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownIndicator, o.Per)
		}
		a.per = ind
	}
	for range o.Workers {
		a.wg.Add(1)
		go a.work()
	}
	return a, nil
}

func (a *Auditor) work() {
	defer a.wg.Done()
	for j := range a.jobs {
		j.rec.res = a.check(j.rec.values(j.raw, j.prev))
	}
}

// values is what the checker reads of a row.
func (r *record) values(raw []any, prev *record) *checker.Values {
	v := &checker.Values{Unit: r.unit, Period: r.period, Nums: r.vals, Raw: raw, Explanations: r.explain}
	if prev != nil {
		v.Prev = prev.vals
	}
	return v
}

// check runs the checker on one row. The check id (a sha256 over the
// submission) is computed only for rows the report lists: those with a
// violation or an evaluation error.
func (a *Auditor) check(v *checker.Values) rowResult {
	r := a.checker.CheckValues(a.form, v, "")
	if len(r.Violations) > 0 || len(r.EvalErrors) > 0 || a.opts.OnCheck != nil {
		d := v.Digest(a.form)
		r.CheckID = checker.CheckID(a.form, d)
		if a.opts.OnCheck != nil {
			a.opts.OnCheck(v.Submission(a.form), d, r)
		}
	}
	return rowResult{CheckID: r.CheckID, Verdict: r.Verdict, Summary: r.Summary, Violations: r.Violations, EvalErrors: r.EvalErrors}
}

// Read reads every row of one file. Row problems are recorded and reading
// goes on; the error is for input that cannot be read any further (it
// wraps ErrFormat when the input is not what its format says). The rows
// read before such an error stay in the audit.
func (a *Auditor) Read(file string, rr RowReader) error {
	if a.done {
		return errors.New("audit: Read after Finish")
	}
	for {
		row, probs, err := rr.Next()
		for _, p := range probs {
			p.File = file
			a.problems = append(a.problems, p)
		}
		if errors.Is(err, io.EOF) {
			a.drainInputs()
			return nil
		}
		if err != nil {
			return err
		}
		a.add(file, row)
	}
}

func (a *Auditor) problem(file string, row Row, col, format string, args ...any) {
	a.problems = append(a.problems, Problem{File: file, Row: row.Line, Column: col, Unit: row.Unit, Period: row.Period, Message: fmt.Sprintf(format, args...)})
}

func (a *Auditor) add(file string, row Row) {
	switch {
	case row.Unit == "":
		a.problem(file, row, "单位", "缺少单位名称,该行未检查")
		return
	case row.Period == "":
		a.problem(file, row, "期间", "缺少期间,该行未检查")
		return
	}
	u := a.units[row.Unit]
	if u == nil {
		u = &unitRows{name: strings.Clone(row.Unit)}
		a.units[u.name] = u
	}
	if first := u.find(row.Period); first != nil {
		where := fmt.Sprintf("第%d行", first.line)
		if first.file != file {
			where = first.file + " " + where
		}
		a.problem(file, row, "", "单位「%s」期间 %s 重复出现(首次在%s),该行未检查", row.Unit, row.Period, where)
		return
	}
	if len(u.periods) >= maxPeriods {
		a.problem(file, row, "期间", "单位「%s」的期间超过%d个,该行未检查", row.Unit, maxPeriods)
		return
	}
	// The unit's name is shared; the period is cloned so that the record
	// does not keep the whole input line alive.
	rec := &record{file: file, line: row.Line, unit: u.name, period: strings.Clone(row.Period), vals: make([]float64, len(a.form.Indicators))}
	for id, text := range row.Explanations {
		if rec.explain == nil {
			rec.explain = make(map[string]string, len(row.Explanations))
		}
		rec.explain[id] = strings.Clone(text)
	}
	raw := a.read(rec, row)
	prev := u.previous(row.Period)
	if prev != nil {
		rec.prevPeriod = prev.period
	}
	u.insert(rec)
	a.recs = append(a.recs, rec)
	a.jobs <- job{rec: rec, raw: raw, prev: prev}
}

// read fills rec.vals (and rec.bad) from a row and returns the figures
// the checker must read as written, or nil when every figure is a plain
// number: those are all a spreadsheet row usually holds, and they are
// passed on as numbers (as a JSON client sends them).
func (a *Auditor) read(rec *record, row Row) []any {
	var raw []any
	keep := func(i int, v any) {
		if raw == nil {
			raw = make([]any, len(rec.vals))
		}
		raw[i] = v
	}
	for i := range rec.vals {
		rec.vals[i] = math.NaN()
	}
	for i, s := range row.Cells {
		if s == "" {
			continue
		}
		x, ok := plainNumber(s)
		switch {
		case !ok:
			keep(i, strings.Clone(s)) // the cell, not the line it was cut from
		case a.form.Indicators[i].Type == rules.Integer && x != math.Trunc(x):
			keep(i, x)
		default:
			rec.vals[i] = x
		}
	}
	for i, v := range row.Values {
		if v != nil {
			keep(i, v)
		}
	}
	for i, v := range raw {
		if v == nil {
			continue
		}
		x, err := checker.NormalizeFor(v, a.form.Indicators[i])
		if err != nil {
			if rec.bad == nil {
				rec.bad = map[int]any{}
			}
			rec.bad[i] = v
			continue
		}
		rec.vals[i] = x
	}
	return raw
}

// Finish waits for the checks, checks again the rows whose previous
// period was read after them, runs the batch checks and the anomaly tests
// and returns the report.
func (a *Auditor) Finish() *Report {
	if !a.done {
		a.done = true
		close(a.jobs)
		a.wg.Wait()
	}
	for _, rec := range a.recs {
		p := a.units[rec.unit].previous(rec.period)
		if p == nil || p.period == rec.prevPeriod {
			continue
		}
		var raw []any
		if rec.bad != nil {
			raw = make([]any, len(rec.vals))
			for i, v := range rec.bad {
				raw[i] = v
			}
		}
		rec.prevPeriod = p.period
		rec.res = a.check(rec.values(raw, p))
	}
	return a.report()
}

// Form is the form the audit checks against.
func (a *Auditor) Form() *rules.Form { return a.form }

// plainNumber parses s when it is only ASCII digits with at most one dot
// and an optional leading minus: the strings whose meaning does not depend
// on the checker's normalisation. Whole numbers of up to 15 digits, what
// most cells hold, are read without strconv: they are exact in a float64.
func plainNumber(s string) (float64, bool) {
	if s == "" || len(s) > 24 {
		return 0, false
	}
	digits, dots := 0, 0
	var n int64
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			n = n*10 + int64(c-'0')
		case c == '.':
			dots++
		case c == '-' && i == 0:
		default:
			return 0, false
		}
	}
	if digits == 0 || dots > 1 {
		return 0, false
	}
	if dots == 0 && digits <= 15 {
		if s[0] == '-' {
			return -float64(n), true
		}
		return float64(n), true
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil
}
