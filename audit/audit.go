// Package audit reviews whole batches of submissions, as an inspector does:
// every unit's figures for one or more periods, read from CSV, XLSX, JSON
// or NDJSON. Each row is checked by the checker exactly as /v1/check would;
// then the batch as a whole is checked: the form's batch rules, hierarchy
// totals and period-over-period jumps, and the anomaly tests of package
// anomaly (Benford's law, round numbers, copied units, peer outliers).
//
// Rows are checked as they are read, by a pool of workers. What is kept
// per row is its figures (one float64 per indicator, NaN where absent,
// cut from large shared blocks), the cells that were not plain numbers,
// encoded in a shared byte arena, and the outcome of its check: verdict,
// counts and the codes of the rules it violates. Violations are rendered
// (fields, message, check id) only when the report is written, by checking
// the row again: memory grows with rows × indicators, and what it may hold
// is bounded by Limits, not by what a client sends.
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
	// Limits bound what one audit may hold (see Limits; the zero value
	// of each field is its default).
	Limits Limits
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
	o.Limits.defaults()
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
	store    store
	problems problems

	periodID    map[string]int32 // interned periods
	periodNames []string
	files       []string

	rules  ruleTable
	inputs []*tracked // the files read through Track

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

// record is what is kept of one row: its figures, the cells that were not
// plain numbers (encoded, see raw.go), and the outcome of its check. The
// violations themselves are not kept: the report checks a listed row
// again when it writes it, from the same figures, and gets the same
// result.
type record struct {
	unit, period string            // shared with the unit and the period table
	vals         []float64         // by indicator index; NaN when absent or unusable
	raw          []byte            // the figures kept as written, or nil
	file, line   int32             // index in Auditor.files; the row in its file
	prev         int32             // the period id used as previous when checked; -1 for none
	explain      map[string]string // warnings explained by 说明 columns
	res          outcome
}

// outcome is what the summary needs of a row's check.
type outcome struct {
	verdict          uint8 // verdictPass, verdictWarn or verdictFail
	listed           bool  // a violation or an evaluation error: the report lists the row
	errors, warnings int32
	// rules are the codes (see ruleTable) of the rules the row violates,
	// unexplained, each once.
	rules []uint16
}

const (
	verdictPass uint8 = iota
	verdictWarn
	verdictFail
)

var verdictOf = map[string]uint8{checker.Pass: verdictPass, checker.Warn: verdictWarn, checker.Fail: verdictFail}

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
// writes once they are sent, and writes the record's outcome.
type job struct {
	rec  *record
	raw  []any
	prev *record
}

// New starts an audit of rows of form f.
func New(f *rules.Form, o Options) (*Auditor, error) {
	o.defaults()
	a := &Auditor{
		form: f, opts: o, units: map[string]*unitRows{}, jobs: make(chan job, 4*o.Workers),
		periodID: map[string]int32{}, store: newStore(len(f.Indicators)),
		problems: problems{max: o.Limits.Problems},
	}
	a.rules.init()
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
	var c checking
	for j := range a.jobs {
		j.rec.res = a.check(a.values(j.rec, j.raw, j.prev), &c)
	}
}

// checking is what one goroutine reuses from row to row.
type checking struct {
	codes codeArena
	res   checker.Result
}

// values is what the checker reads of a row.
func (a *Auditor) values(r *record, raw []any, prev *record) *checker.Values {
	v := &checker.Values{Unit: r.unit, Period: r.period, Nums: r.vals, Raw: raw, Explanations: r.explain}
	if prev != nil {
		v.Prev = prev.vals
	}
	return v
}

// check runs the checker on one row and keeps its outcome. Without
// OnCheck, which is given the whole result, the lean check does: no
// message, no fields, no allocation.
func (a *Auditor) check(v *checker.Values, c *checking) outcome {
	r := &c.res
	if a.opts.OnCheck != nil {
		r = a.checker.CheckValues(a.form, v, "")
		d := v.Digest(a.form)
		r.CheckID = checker.CheckID(a.form, d)
		a.opts.OnCheck(v.Submission(a.form), d, r)
	} else {
		a.checker.Outcome(a.form, v, r)
	}
	codes := &c.codes
	o := outcome{verdict: verdictOf[r.Verdict], listed: len(r.Violations) > 0 || len(r.EvalErrors) > 0,
		errors: int32(r.Summary.Errors), warnings: int32(r.Summary.Warnings)}
	codes.begin()
	for i := range r.Violations {
		if viol := &r.Violations[i]; !viol.Explained {
			codes.addOnce(a.rules.codeOf(viol))
		}
	}
	o.rules = codes.end()
	return o
}

// Read reads every row of one file. Row problems are recorded and reading
// goes on; the error is for input that cannot be read any further (it
// wraps ErrFormat when the input is not what its format says, ErrLimit
// when the batch goes over a limit). The rows read before such an error
// stay in the audit.
func (a *Auditor) Read(file string, rr RowReader) (err error) {
	if a.done {
		return errors.New("audit: Read after Finish")
	}
	if c, ok := rr.(io.Closer); ok {
		defer func() { err = errors.Join(err, c.Close()) }()
	}
	fi := a.file(file)
	for {
		row, probs, err := rr.Next()
		for _, p := range probs {
			p.File = file
			a.problems.add(p)
		}
		if errors.Is(err, io.EOF) {
			a.drainInputs()
			return nil
		}
		if err != nil {
			return err
		}
		if err := a.add(fi, row); err != nil {
			return err
		}
	}
}

// file numbers a file for the records.
func (a *Auditor) file(name string) int32 {
	a.files = append(a.files, name)
	return int32(len(a.files) - 1)
}

// Problem kinds of the rows the auditor refuses.
const (
	kindNoUnit      = "no_unit"
	kindNoPeriod    = "no_period"
	kindDuplicate   = "duplicate_row"
	kindManyPeriods = "many_periods"
)

func (a *Auditor) problem(file int32, row Row, kind, col, format string, args ...any) {
	a.problems.add(Problem{File: a.files[file], Row: row.Line, Column: col, Unit: row.Unit, Period: row.Period, Message: fmt.Sprintf(format, args...), kind: kind})
}

func (a *Auditor) add(file int32, row Row) error {
	switch {
	case row.Unit == "":
		a.problem(file, row, kindNoUnit, "单位", "缺少单位名称,该行未检查")
		return nil
	case row.Period == "":
		a.problem(file, row, kindNoPeriod, "期间", "缺少期间,该行未检查")
		return nil
	}
	u := a.units[row.Unit]
	if u == nil {
		u = a.store.unit(strings.Clone(row.Unit))
		a.units[u.name] = u
	}
	if first := u.find(row.Period); first != nil {
		where := fmt.Sprintf("第%d行", first.line)
		if first.file != file {
			where = a.files[first.file] + " " + where
		}
		a.problem(file, row, kindDuplicate, "", "单位「%s」期间 %s 重复出现(首次在%s),该行未检查", row.Unit, row.Period, where)
		return nil
	}
	if len(u.periods) >= maxPeriods {
		a.problem(file, row, kindManyPeriods, "期间", "单位「%s」的期间超过%d个,该行未检查", row.Unit, maxPeriods)
		return nil
	}
	if err := a.opts.Limits.admit(len(a.recs)+1, len(a.form.Indicators)); err != nil {
		return err
	}
	rec := a.store.record()
	rec.file, rec.line, rec.unit, rec.period, rec.prev = file, int32(row.Line), u.name, a.period(row.Period), -1
	for id, text := range row.Explanations {
		if rec.explain == nil {
			rec.explain = make(map[string]string, len(row.Explanations))
		}
		rec.explain[id] = strings.Clone(text)
	}
	raw := a.read(rec, row)
	prev := u.previous(row.Period)
	if prev != nil {
		rec.prev = a.periodID[prev.period]
	}
	u.insert(rec)
	a.recs = append(a.recs, rec)
	a.jobs <- job{rec: rec, raw: raw, prev: prev}
	return nil
}

// period returns the interned copy of a period, so that records share it
// and do not keep the input line alive.
func (a *Auditor) period(p string) string {
	if id, ok := a.periodID[p]; ok {
		return a.periodNames[id]
	}
	p = strings.Clone(p)
	a.periodID[p] = int32(len(a.periodNames))
	a.periodNames = append(a.periodNames, p)
	return p
}

// read fills rec.vals (and rec.raw) from a row and returns the figures
// the checker must read as written, or nil when every figure is a plain
// number: those are all a spreadsheet row usually holds, and they are
// passed on as numbers (as a JSON client sends them).
func (a *Auditor) read(rec *record, row Row) []any {
	rec.vals = a.store.vector()
	var raw []any
	keep := func(i int, v any) {
		if raw == nil {
			raw = make([]any, len(rec.vals))
		}
		raw[i] = v
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
		if x, err := checker.NormalizeFor(v, a.form.Indicators[i]); err == nil {
			rec.vals[i] = x
		}
	}
	if raw != nil {
		rec.raw = a.store.keepRaw(raw)
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
		var c checking
		for _, rec := range a.recs {
			p := a.units[rec.unit].previous(rec.period)
			if p == nil || a.periodID[p.period] == rec.prev {
				continue
			}
			rec.prev = a.periodID[p.period]
			rec.res = a.check(a.values(rec, decodeRaw(rec.raw, len(rec.vals)), p), &c)
		}
	}
	return a.report()
}

// render checks a kept row again, as it was last checked, for the report.
func (a *Auditor) render(rec *record) (RowReport, *checker.Values) {
	var prev *record
	if rec.prev >= 0 {
		prev = a.units[rec.unit].previous(rec.period)
	}
	v := a.values(rec, decodeRaw(rec.raw, len(rec.vals)), prev)
	r := a.checker.CheckValues(a.form, v, "")
	rr := RowReport{File: a.files[rec.file], Row: int(rec.line), Unit: rec.unit, Period: rec.period, Verdict: r.Verdict,
		Summary: r.Summary, Violations: r.Violations, EvalErrors: r.EvalErrors}
	if rec.res.listed || a.opts.OnCheck != nil {
		rr.CheckID = checker.CheckID(a.form, v.Digest(a.form))
	}
	return rr, v
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
	if digits == 0 || dots > 1 || s[len(s)-1] == '.' {
		return 0, false // "12." is for checker.Normalize to reject
	}
	if dots == 0 && digits <= 15 {
		if s[0] == '-' {
			return -float64(n), true
		}
		return float64(n), true
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil && math.Abs(x) < checker.MaxExact // beyond: inexact, Normalize says so
}
