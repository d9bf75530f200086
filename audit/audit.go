// Package audit reviews whole batches of submissions, as an inspector does:
// every unit's figures for one or more periods, read from CSV, XLSX, JSON
// or NDJSON. Each row is checked by the checker exactly as /v1/check would;
// then the batch as a whole is checked: the form's batch rules, hierarchy
// totals and period-over-period jumps, and the anomaly tests of package
// anomaly (Benford's law, round numbers, copied units, peer outliers).
//
// Rows are checked as they are read, by a pool of workers. What is kept
// per row is its figures (one float64 per indicator, NaN where absent),
// a record of 28 bytes (unit, period, line, the unit's previous period,
// verdict), the cells that were not plain numbers and the outcome of its
// check (counts and the codes of the rules it violates), encoded: all in
// large blocks that hold no pointer, which the garbage collector does not
// scan (see store.go). Violations are rendered (fields, message, check id)
// only when the report is written, from the figures and what the check
// kept of a listed row (the rules it violates), without evaluating the
// rules again: memory grows with rows × indicators, and what it may hold
// is bounded by Limits, not by what a client sends.
//
// A unit's "previous" figures are those of its latest earlier period.
// When rows come in period order (as exports do) that period has already
// been read when a row is checked. When it comes later, the row is checked
// again at the end with its previous filled in, from the figures kept.
package audit

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"
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

	units    unitTable
	store    store
	outcomes outcomes
	problems problems

	// raws are the rows with figures kept as written, in row order, and
	// rawBytes their encoding (see keepRaw); explain the rows'
	// explanations. Both are rare.
	raws     []rawRef
	rawBytes byteArena
	explain  map[int32]map[string]string
	scratch  []byte // keepRaw's

	periodID    map[string]int32 // interned periods
	periodNames []string
	files       []string
	fileStart   []int32 // the first row of each file

	rules  ruleTable
	inputs []*tracked // the files read through Track

	small   []bool // indicators left out of the digit tests (see smallCounts)
	integer []bool // indicators of type integer, by index

	// periods are the batch's periods with what the peer comparison
	// learnt of them (sizes, medians); tests the applicability of the
	// statistical tests. Both are written by findings, for the case files.
	periods []*periodRows
	tests   []TestStatus

	jobs   chan []job // batches of rows to check, batchRows at most
	spare  chan []job // batches the workers are done with
	batch  []job      // the batch being filled
	figBuf []float64  // add's figures of a row
	wg     sync.WaitGroup
	done   bool
}

const (
	verdictPass uint8 = iota
	verdictWarn
	verdictFail
)

func verdictOf(v string) uint8 {
	switch v {
	case checker.Warn:
		return verdictWarn
	case checker.Fail:
		return verdictFail
	}
	return verdictPass
}

// maxPeriods bounds the periods of one unit, so that a hostile batch of
// one unit in 100,000 periods cannot make every row cost a scan.
const maxPeriods = 1000

// rowCount is the number of rows kept.
func (a *Auditor) rowCount() int { return int(a.store.rows) }

// rec is the record of row i.
func (a *Auditor) rec(i int) *record { return a.store.rec(int32(i)) }

// records yields the records in input order.
func (a *Auditor) records() iter.Seq2[int, *record] {
	return func(yield func(int, *record) bool) {
		i := 0
		for _, blk := range a.store.recs {
			for k := range blk {
				if i == int(a.store.rows) || !yield(i, &blk[k]) {
					return
				}
				i++
			}
		}
	}
}

// vals are a record's figures by indicator index; NaN when absent or
// unusable.
func (a *Auditor) vals(r *record) []float64 { return a.store.vals(r.id) }

// unitOf is the name of a record's unit.
func (a *Auditor) unitOf(r *record) string { return a.units.name(r.unit) }

// periodOf is a record's period.
func (a *Auditor) periodOf(r *record) string { return a.periodNames[r.per] }

// fileOf is the name of the file a record was read from.
func (a *Auditor) fileOf(r *record) string {
	i, found := slices.BinarySearch(a.fileStart, r.id)
	if !found {
		i--
	}
	// Files with no rows start where the next one does: the last of them
	// is the record's.
	for i+1 < len(a.fileStart) && a.fileStart[i+1] == r.id {
		i++
	}
	return a.files[i]
}

// outcome is the counts and rule codes of a record's check.
func (a *Auditor) outcome(r *record) outcome { return a.outcomes.get(r.out) }

// unitCount is the number of units.
func (a *Auditor) unitCount() int { return len(a.units.units) }

// unitNamed is the unit of that name, or nil.
func (a *Auditor) unitNamed(name string) *unitRows {
	if u, ok := a.units.find(name, a.units.hash(name)); ok {
		return &a.units.units[u]
	}
	return nil
}

// unitName is a unit's name.
func (a *Auditor) unitName(u *unitRows) string { return a.units.nameOf(u) }

// periodsOf appends a unit's records to buf, in period order.
func (a *Auditor) periodsOf(u *unitRows, buf []*record) []*record {
	start := len(buf)
	for id := u.last; id >= 0; id = a.store.rec(id).next {
		buf = append(buf, a.store.rec(id))
	}
	slices.Reverse(buf[start:])
	return buf
}

// find is a unit's record of a period, or nil.
func (a *Auditor) find(u *unitRows, period string) *record {
	p, ok := a.periodID[period]
	if !ok {
		return nil
	}
	for id := u.last; id >= 0; {
		r := a.store.rec(id)
		if r.per == p {
			return r
		}
		id = r.next
	}
	return nil
}

// previous is a unit's latest record of a period before period, or nil.
func (a *Auditor) previous(u *unitRows, period string) *record {
	for id := u.last; id >= 0; {
		r := a.store.rec(id)
		if a.periodNames[r.per] < period {
			return r
		}
		id = r.next
	}
	return nil
}

// job is one row to check: its figures, those kept as written (nil when
// all are plain numbers), those of the unit's previous row, if any, and
// the record the worker writes the outcome in. A worker only reads the
// figures, which the reading goroutine no longer writes once they are
// sent, and writes only the record's state and out.
type job struct {
	rec          *record
	unit, period string
	vals, prev   []float64
	raw          []any
	explain      map[string]string
}

// batchRows is the most rows of a batch of jobs: one channel operation
// for many rows.
const batchRows = 64

// New starts an audit of rows of form f.
func New(f *rules.Form, o Options) (*Auditor, error) {
	o.defaults()
	a := &Auditor{
		form: f, opts: o, units: newUnitTable(), jobs: make(chan []job, 4*o.Workers), spare: make(chan []job, 5*o.Workers+1),
		periodID: map[string]int32{}, store: newStore(len(f.Indicators)),
		problems: problems{max: o.Limits.Problems},
	}
	a.rules.init(f)
	for _, ind := range f.Indicators {
		a.integer = append(a.integer, ind.Type == rules.Integer)
	}
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
	for batch := range a.jobs {
		for i := range batch {
			j := &batch[i]
			v := &c.vals
			*v = checker.Values{Unit: j.unit, Period: j.period, Nums: j.vals, Raw: j.raw, Prev: j.prev, Explanations: j.explain}
			a.check(j.rec, v, &c)
			// The batch is used again: it does not keep what the
			// audit does not (the rest is the store's).
			j.raw, j.explain = nil, nil
		}
		select {
		case a.spare <- batch[:0]:
		default:
		}
	}
}

// send queues a row for the workers: the caller fills the job, in place
// (a job built aside and copied in is read back before the stores of the
// row's figures are done, and waits for them), then calls sent.
func (a *Auditor) send() *job {
	if a.batch == nil {
		select {
		case a.batch = <-a.spare:
		default:
			a.batch = make([]job, 0, batchRows)
		}
	}
	a.batch = a.batch[:len(a.batch)+1]
	return &a.batch[len(a.batch)-1]
}

// sent hands the batch to the workers when it is full.
func (a *Auditor) sent() {
	if len(a.batch) == batchRows {
		a.flush()
	}
}

// flush hands the rows queued to the workers.
func (a *Auditor) flush() {
	if len(a.batch) > 0 {
		a.jobs <- a.batch
		a.batch = nil
	}
}

// checking is what one goroutine reuses from row to row.
type checking struct {
	codes codeSet
	known map[string]uint16 // the codes of the rules met so far
	res   checker.Result
	vals  checker.Values
}

// codeOf is the code of a violated rule, from the rule table once per rule.
func (c *checking) codeOf(t *ruleTable, v *checker.Violation) uint16 {
	code, ok := c.known[v.Rule]
	if !ok {
		code = t.codeOf(v)
		if c.known == nil {
			c.known = map[string]uint16{}
		}
		c.known[v.Rule] = code
	}
	return code
}

// values is what the checker reads of a row checked with prev as its
// previous row.
func (a *Auditor) values(r, prev *record) *checker.Values {
	v := &checker.Values{}
	a.valuesTo(v, r, prev)
	return v
}

// valuesTo is values written to v.
func (a *Auditor) valuesTo(v *checker.Values, r, prev *record) {
	*v = checker.Values{Unit: a.unitOf(r), Period: a.periodOf(r), Nums: a.vals(r), Raw: decodeRaw(a.rawOf(r), a.store.n), Explanations: a.explain[r.id]}
	if prev != nil {
		v.Prev = a.vals(prev)
	}
}

// rawOf is the encoding of a record's figures kept as written, or nil.
func (a *Auditor) rawOf(r *record) []byte {
	if r.flags&flagRaw == 0 {
		return nil
	}
	i, _ := slices.BinarySearchFunc(a.raws, r.id, func(x rawRef, id int32) int { return cmp.Compare(x.id, id) })
	return a.rawBytes.bytes(a.raws[i].block, a.raws[i].at)
}

// check runs the checker on one row and keeps its outcome in rec, with
// what the report needs to render it when it is listed. Without OnCheck,
// which is given the whole result, the lean check does: no message, no
// fields, no allocation.
func (a *Auditor) check(rec *record, v *checker.Values, c *checking) {
	r := &c.res
	if a.opts.OnCheck != nil {
		r = a.checker.CheckValues(a.form, v, "")
		d := v.Digest(a.form)
		r.CheckID = checker.CheckID(a.form, d)
		a.opts.OnCheck(v.Submission(a.form), d, r)
	} else {
		a.checker.Outcome(a.form, v, r)
	}
	state := verdictOf(r.Verdict)
	skipped := -1 // not rendered from the outcome
	if len(r.Violations) > 0 || len(r.EvalErrors) > 0 {
		state |= stateListed
		if len(r.EvalErrors) == 0 && len(v.Explanations) == 0 {
			skipped = r.Summary.Skipped
		}
	}
	c.codes = c.codes[:0]
	for i := range r.Violations {
		if viol := &r.Violations[i]; !viol.Explained {
			c.codes.addOnce(c.codeOf(&a.rules, viol))
		}
	}
	rec.state = state
	rec.out = a.outcomes.keep(r.Summary.Errors, r.Summary.Warnings, c.codes, skipped)
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
	defer a.flush() // the rows read are checked while the next file is opened
	fi := a.file(file)
	if c, ok := rr.(*csvReader); ok {
		err = a.readCSV(fi, c)
	} else {
		err = a.readRows(fi, rr)
	}
	if err == nil {
		a.drainInputs()
	}
	return err
}

// readRows reads the rows of a file one by one.
func (a *Auditor) readRows(file int32, rr RowReader) error {
	for {
		row, probs, err := rr.Next()
		a.addProblems(file, probs)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := a.add(file, row); err != nil {
			return err
		}
	}
}

// addProblems records a reader's problems with a file.
func (a *Auditor) addProblems(file int32, probs []Problem) {
	for _, p := range probs {
		p.File = a.files[file]
		a.problems.add(p)
	}
}

// file numbers a file for the records.
func (a *Auditor) file(name string) int32 {
	a.files = append(a.files, name)
	a.fileStart = append(a.fileStart, a.store.rows)
	return int32(len(a.files) - 1)
}

// Problem kinds of the rows the auditor refuses.
const (
	kindNoUnit      = "no_unit"
	kindNoPeriod    = "no_period"
	kindDuplicate   = "duplicate_row"
	kindManyPeriods = "many_periods"
)

// problem records a problem of a row the auditor refuses; the row's text
// is copied, not the chunk of input it was cut from.
func (a *Auditor) problem(file int32, row *parsed, kind, col, format string, args ...any) {
	a.problems.add(Problem{File: a.files[file], Row: row.line, Column: col, Unit: strings.Clone(row.unit), Period: strings.Clone(row.period), Message: fmt.Sprintf(format, args...), kind: kind})
}

// parsed is a row ready for addParsed: its figures read (into a slice
// kept beside it), its unit hashed, what the audit keeps of it copied.
type parsed struct {
	line         int
	unit, period string
	hash         uint64 // of unit, by the unit table
	raw          []any  // see read
	explain      map[string]string
	probs        []Problem // the row's input problems (CSV chunks only)
}

// prepare reads a row's figures into vals and makes it ready for
// addParsed. It only reads the Auditor, so that the CSV parsers run it
// concurrently (see readCSV).
func (a *Auditor) prepare(row *Row, vals []float64) parsed {
	p := parsed{line: row.Line, unit: row.Unit, period: row.Period, raw: a.read(vals, row)}
	if row.Unit != "" {
		p.hash = a.units.hash(row.Unit)
	}
	if len(row.Explanations) > 0 {
		p.explain = make(map[string]string, len(row.Explanations))
		for id, text := range row.Explanations {
			p.explain[id] = strings.Clone(text)
		}
	}
	return p
}

// add adds a row to the audit, as a reader yields it.
func (a *Auditor) add(file int32, row Row) error {
	if a.figBuf == nil {
		a.figBuf = make([]float64, a.store.n)
	}
	p := a.prepare(&row, a.figBuf)
	return a.addParsed(file, &p, a.figBuf)
}

// addParsed adds a row with its figures vals, in input order: it numbers
// the row's unit and period, refuses a duplicate, links the unit's
// periods and queues the row for the workers.
func (a *Auditor) addParsed(file int32, row *parsed, vals []float64) error {
	switch {
	case row.unit == "":
		a.problem(file, row, kindNoUnit, "单位", "缺少单位名称,该行未检查")
		return nil
	case row.period == "":
		a.problem(file, row, kindNoPeriod, "期间", "缺少期间,该行未检查")
		return nil
	}
	ui, ok := a.units.find(row.unit, row.hash)
	per := a.period(row.period)
	// The unit's records from its latest period down: the new row goes
	// after those of later periods (after is the last of them, -1 for
	// none) and before those of earlier ones (before is the first).
	after, before, n := int32(-1), int32(-1), 0
	if ok {
		head := a.store.rec(a.units.units[ui].last)
		n = int(head.periods)
		before = head.id
		for before >= 0 {
			r := a.store.rec(before)
			if r.per == per {
				where := fmt.Sprintf("第%d行", r.line)
				if r.id < a.fileStart[file] {
					where = a.fileOf(r) + " " + where
				}
				a.problem(file, row, kindDuplicate, "", "单位「%s」期间 %s 重复出现(首次在%s),该行未检查", row.unit, row.period, where)
				return nil
			}
			if a.periodNames[r.per] < row.period {
				break
			}
			after, before = before, r.next
		}
		if n >= maxPeriods {
			a.problem(file, row, kindManyPeriods, "期间", "单位「%s」的期间超过%d个,该行未检查", row.unit, maxPeriods)
			return nil
		}
	}
	if err := a.opts.Limits.admit(a.rowCount()+1, len(a.form.Indicators)); err != nil {
		return err
	}
	if !ok {
		var err error
		if ui, err = a.units.add(row.unit, row.hash); err != nil {
			return err
		}
	}
	u := &a.units.units[ui]
	rec, figs := a.store.add()
	rec.unit, rec.per, rec.line, rec.next = ui, per, int32(row.line), before
	copy(figs, vals)
	if row.raw != nil {
		a.keepRaw(rec, row.raw)
	}
	if row.explain != nil {
		if a.explain == nil {
			a.explain = map[int32]map[string]string{}
		}
		a.explain[rec.id] = row.explain
		rec.flags |= flagExplain
	}
	if after < 0 {
		rec.periods = uint16(n + 1)
		u.last = rec.id
	} else {
		// A later period was read first: it was checked with the wrong
		// previous row, and is checked again by Finish.
		r := a.store.rec(after)
		r.next = rec.id
		r.flags |= flagStale
		a.store.rec(u.last).periods++
	}
	var prev []float64
	if before >= 0 {
		prev = a.store.vals(before)
	}
	j := a.send()
	j.rec, j.unit, j.period, j.vals, j.prev, j.raw, j.explain = rec, a.units.name(ui), a.periodNames[per], figs, prev, row.raw, row.explain
	a.sent()
	return nil
}

// period returns the number of a period, interning it, so that records
// share it and do not keep the input line alive.
func (a *Auditor) period(p string) int32 {
	if n := len(a.periodNames); n > 0 && a.periodNames[n-1] == p {
		return int32(n - 1) // rows mostly come period by period
	}
	if id, ok := a.periodID[p]; ok {
		return id
	}
	p = strings.Clone(p)
	id := int32(len(a.periodNames))
	a.periodID[p] = id
	a.periodNames = append(a.periodNames, p)
	return id
}

// read fills a row's figures vals, NaN where absent or unusable (and
// keeps those written otherwise than as plain numbers) and returns the
// figures the checker must read as written, or nil when every figure is a
// plain number: those are all a spreadsheet row usually holds, and they
// are passed on as numbers (as a JSON client sends them).
func (a *Auditor) read(vals []float64, row *Row) []any {
	var raw []any
	keep := func(i int, v any) {
		if raw == nil {
			raw = make([]any, len(vals))
		}
		raw[i] = v
	}
	if len(row.Cells) < len(vals) {
		for i := range vals {
			vals[i] = math.NaN()
		}
	}
	for i, s := range row.Cells {
		vals[i] = math.NaN()
		if s == "" {
			continue
		}
		x, ok := plainNumber(s)
		switch {
		case !ok:
			keep(i, strings.Clone(s)) // the cell, not the line it was cut from
		case a.integer[i] && x != math.Trunc(x):
			keep(i, x)
		default:
			vals[i] = x
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
			vals[i] = x
		}
	}
	return raw
}

// keepRaw keeps the figures of a record written otherwise than as plain
// numbers (see read).
func (a *Auditor) keepRaw(rec *record, raw []any) {
	a.scratch = keepRaw(a.scratch[:0], raw)
	block, at := a.rawBytes.addBytes(a.scratch)
	a.raws = append(a.raws, rawRef{id: rec.id, block: block, at: at})
	rec.flags |= flagRaw
}

// Finish waits for the checks, checks again the rows whose previous
// period was read after them, runs the batch checks and the anomaly tests
// and returns the report.
func (a *Auditor) Finish() *Report {
	if !a.done {
		a.done = true
		a.flush()
		close(a.jobs)
		a.wg.Wait()
		var c checking
		for _, rec := range a.records() {
			if rec.flags&flagStale != 0 {
				a.check(rec, a.values(rec, a.prevOf(rec)), &c)
			}
		}
	}
	return a.report()
}

// prevOf is the record a record is checked with as its previous row, once
// every row is read: its unit's record of the period before, or nil.
func (a *Auditor) prevOf(r *record) *record {
	if r.next < 0 {
		return nil
	}
	return a.store.rec(r.next)
}

// render renders a kept row, as it was last checked, for the report.
func (a *Auditor) render(rec *record) (RowReport, *checker.Values) {
	v := a.values(rec, a.prevOf(rec))
	return a.renderTo(rec, v, &checker.Result{}, nil), v
}

// renderTo renders a kept row whose figures are v into r, which the row
// report shares: from its outcome (checker.Render: the violated rules'
// messages and fields only) or, when the outcome cannot say (see
// outcome.rendered), by checking the row again. With enc (the form's
// checker.NewFormJSON), the fields are left for EncodeJSON to read from v
// (see checker.Render).
func (a *Auditor) renderTo(rec *record, v *checker.Values, r *checker.Result, enc *checker.FormJSON) RowReport {
	if o := a.outcome(rec); o.rendered {
		var buf [16]*rules.Rule
		violated := buf[:0]
		for c := range o.ruleCodes() {
			// The codes of builtin rules name no rule of the form: Render
			// finds their violations by loading the figures.
			if rule := a.rules.formRules[c]; rule != nil {
				violated = append(violated, rule)
			}
		}
		a.checker.Render(a.form, v, int(o.skipped), violated, "", enc, r)
	} else {
		r = a.checker.CheckValues(a.form, v, "")
	}
	rr := RowReport{File: a.fileOf(rec), Row: int(rec.line), Unit: v.Unit, Period: v.Period, Verdict: r.Verdict,
		Summary: r.Summary, Violations: r.Violations, EvalErrors: r.EvalErrors}
	if rec.listed() || a.opts.OnCheck != nil {
		rr.CheckID = checker.CheckID(a.form, v.Digest(a.form))
	}
	return rr
}

// Form is the form the audit checks against.
func (a *Auditor) Form() *rules.Form { return a.form }

// plainNumber parses s when it is only ASCII digits with at most one dot
// and an optional leading minus: the strings whose meaning does not depend
// on the checker's normalisation. Numbers of up to 15 digits, what most
// cells hold, are read without strconv: the digits are exact in a
// float64, and so is a power of ten up to 1e15, so one division is
// correctly rounded and gives the float64 strconv would.
func plainNumber(s string) (float64, bool) {
	if s == "" || len(s) > 24 {
		return 0, false
	}
	digits, dots, frac := 0, 0, 0
	var n int64
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			frac += dots
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
	if digits <= 15 {
		x := float64(n) / pow10[frac]
		if s[0] == '-' {
			return -x, true
		}
		return x, true
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil && math.Abs(x) < checker.MaxExact // beyond: inexact, Normalize says so
}

var pow10 = [16]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}
