package audit

import (
	"cmp"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/figcheck/figcheck/audit/anomaly"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules"
)

// Report is everything an audit found.
type Report struct {
	ReportHead
	// Findings are the batch checks' and anomaly tests' findings, and
	// Problems what could not be read. The rows are not held here: Rows
	// renders them one by one, and the writers stream them.
	Findings []Finding `json:"findings"`
	Problems []Problem `json:"problems"`

	indicators []string // ids in form order, for the raw data sheet
	names      []string
	form       *rules.Form
	audit      *Auditor    // the rows, for Rows and rawRows
	listed     *listedRows // the rows, when checked elsewhere (RowsReport): their figures
	keepCells  bool
	caseParts  caseParts // what the Cases' items are made of
}

// ReportHead is what a report says before its rows: the JSON report
// writes it, then streams the rows, findings and problems.
type ReportHead struct {
	Form    string `json:"form"`
	Title   string `json:"title,omitempty"`
	Ruleset string `json:"ruleset"`
	// AuditedAt is when the audit finished; Inputs the files it read.
	AuditedAt time.Time   `json:"audited_at"`
	Inputs    []InputFile `json:"inputs"`
	Summary   Summary     `json:"summary"`
	// Benford holds the batch-wide digit tests, with their verdict or
	// "too_few" when there were too few figures.
	Benford []anomaly.BenfordResult `json:"benford"`
	// UnitBenford holds the first-digit counts of each unit with a
	// first-digit finding, for the charts.
	UnitBenford []UnitDigits `json:"unit_benford"`
	// Tests says for each statistical test what it was run on, or why it
	// does not apply.
	Tests []TestStatus `json:"tests"`
	// Cases are the case files, one per unit with findings, the most
	// deserving of a look first; Findings are the detail they group.
	Cases []Case `json:"cases"`
}

// UnitDigits is a unit's count of figures by first digit (1 to 9).
type UnitDigits struct {
	Unit   string `json:"unit"`
	N      int    `json:"n"`
	Counts []int  `json:"counts"`
}

// Summary counts what the audit found.
type Summary struct {
	Rows     int            `json:"rows"`
	Units    int            `json:"units"`
	Periods  []string       `json:"periods"`
	Pass     int            `json:"pass"`
	Warn     int            `json:"warn"`
	Fail     int            `json:"fail"`
	Problems int            `json:"problems"`
	Findings int            `json:"findings"`
	ByKind   map[string]int `json:"findings_by_kind"`
	// TopRules are the rules violated most, TopUnits the units with the
	// most errors and findings.
	TopRules []RuleCount `json:"top_rules"`
	TopUnits []UnitRank  `json:"top_units"`
}

// RuleCount is how many rows violate a rule.
type RuleCount struct {
	Rule     string `json:"rule"`
	Name     string `json:"name"`
	Severity string `json:"severity"`
	Rows     int    `json:"rows"`
}

// UnitRank is a unit's error and finding count.
type UnitRank struct {
	Unit     string `json:"unit"`
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
	Findings int    `json:"findings"`
}

// RowReport is the check of one row, as /v1/check would give it, without
// the skipped rules.
type RowReport struct {
	File       string              `json:"file,omitempty"`
	Row        int                 `json:"row"`
	Unit       string              `json:"unit"`
	Period     string              `json:"period"`
	CheckID    string              `json:"check_id"`
	Verdict    string              `json:"verdict"`
	Summary    checker.Summary     `json:"summary"`
	Violations []checker.Violation `json:"violations"`
	EvalErrors []checker.EvalError `json:"eval_errors,omitempty"`
}

// rawRow is a row for the 原始数据 sheet.
type rawRow struct {
	row        RowReport
	vals       []float64
	bad        map[int]any
	violations []checker.Violation
}

// topN bounds the ranked lists of the summary.
const topN = 20

func (a *Auditor) report() *Report {
	findings, benford := a.findings()
	rep := &Report{
		ReportHead: ReportHead{Form: a.form.ID, Title: a.form.Title, Ruleset: a.form.Digest, Benford: benford,
			AuditedAt: a.now().Truncate(time.Second), Inputs: a.inputFiles(), UnitBenford: []UnitDigits{}},
		Findings: findings, Problems: a.problems.listed(), audit: a, keepCells: a.opts.KeepCells, form: a.form,
	}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	if rep.Problems == nil {
		rep.Problems = []Problem{}
	}
	totals := a.totals()
	tested := a.unitCount()
	for t := range totals {
		if a.unitNamed(t) != nil {
			tested--
		}
	}
	rep.Cases, rep.caseParts = buildCases(rep.Findings, tested, a.opts.FDR, a.periodNames, func() caseCells { return newCaseLookup(a) },
		func(id string) (int, bool) {
			ind, ok := a.form.Indicator(id)
			if !ok {
				return 0, false
			}
			return ind.Index, true
		}, a.opts.Workers)
	// What the peer comparison kept of each period (its records, their
	// figures and sizes) was for the case files only.
	for _, g := range a.periods {
		*g = periodRows{period: g.period}
	}
	rep.Tests = a.tests
	if rep.Tests == nil {
		rep.Tests = []TestStatus{}
	}
	for _, ind := range a.form.Indicators {
		rep.indicators = append(rep.indicators, ind.ID)
		rep.names = append(rep.names, ind.Name)
	}
	s := &rep.Summary
	s.Rows, s.Units, s.Problems, s.Findings = a.rowCount(), a.unitCount(), a.problems.total, len(findings)
	s.Periods = make([]string, len(a.periods))
	for i, g := range a.periods {
		s.Periods[i] = g.period
	}
	a.tally(s, findings)
	for _, f := range findings {
		if f.Kind != KindBenford1 || f.Unit == AllUnits || a.unitNamed(f.Unit) == nil {
			continue
		}
		var c anomaly.DigitCounts
		for _, x := range a.unitValues(nil, a.periodsOf(a.unitNamed(f.Unit), nil), a.digitInds()) {
			c.Add(x)
		}
		r := c.Test(1, 0)
		rep.UnitBenford = append(rep.UnitBenford, UnitDigits{Unit: f.Unit, N: r.N, Counts: r.Counts})
	}
	for i := range rep.Benford {
		b := &rep.Benford[i]
		b.MAD, b.ChiSquare = round(b.MAD, 6), round(b.ChiSquare, 4)
		if math.IsNaN(b.P) {
			b.P = 0
		}
	}
	return rep
}

// Rows yields every row checked that has a violation or an evaluation
// error, in input order, its violations rendered from what its check kept
// (Auditor.renderTo), or checked again (RowsReport: listedRows.render).
// The rows are rendered in runs on Options.Workers goroutines, a few runs
// ahead of the reader (rowChunks).
func (r *Report) Rows() iter.Seq[RowReport] {
	return func(yield func(RowReport) bool) {
		r.rowChunks(false, func(c *rowChunk) bool {
			for _, rr := range c.rows {
				if !yield(rr) {
					return false
				}
			}
			return true
		})
	}
}

// rowChunk is a run of listed rows rendered by one worker, or their JSON
// (each row preceded by a comma) when the writer asked for it.
type rowChunk struct {
	rows []RowReport
	json jsonenc.Encoder
}

// rowsPerChunk is how many records (or listed rows) a worker renders at a
// time.
const rowsPerChunk = 512

// rowChunks renders the listed rows in runs on Options.Workers goroutines
// and gives the runs to use in input order, until use returns false. With
// encode, a run is its rows' JSON only, each row encoded as it is rendered
// (into one result and figures reused, its fields read from the figures:
// no map). A row is rendered by Auditor.renderTo, the one rendering of a
// row, or, checked elsewhere, by listedRows.render.
func (r *Report) rowChunks(encode bool, use func(*rowChunk) bool) {
	n := r.listed.len()
	if r.audit != nil {
		n = r.audit.rowCount()
	}
	var enc *checker.FormJSON
	if encode && r.audit != nil {
		enc = checker.NewFormJSON(r.audit.form)
	}
	work := func(lo, hi int, c *rowChunk) {
		clear(c.rows)
		c.rows = c.rows[:0]
		c.json.Reset()
		if r.audit == nil {
			for k := lo; k < hi; k++ {
				rr := r.listed.render(k)
				if encode {
					c.json.Raw(",")
					rr.encodeJSON(&c.json)
				} else {
					c.rows = append(c.rows, rr)
				}
			}
			return
		}
		var (
			res  checker.Result
			vals checker.Values
		)
		a := r.audit
		for i := lo; i < hi; i++ {
			rec := a.rec(i)
			if !rec.listed() {
				continue
			}
			if !encode {
				rr, _ := a.render(rec)
				c.rows = append(c.rows, rr)
				continue
			}
			a.valuesTo(&vals, rec, a.prevOf(rec))
			rr := a.renderTo(rec, &vals, &res, enc)
			c.json.Raw(",")
			rr.encodeJSON(&c.json)
		}
	}
	inOrder(n, rowsPerChunk, r.workers(), work, use)
}

// inOrder splits 0…n-1 into runs of size, runs work on each run on up to
// workers goroutines and gives the runs' outputs to use in order, until
// use returns false. At most 2×workers runs are in flight, and their
// outputs are reused: work must reset what it fills. A panic in work is
// raised again on the caller's goroutine.
func inOrder[T any](n, size, workers int, work func(lo, hi int, out *T), use func(out *T) bool) {
	if workers <= 1 || n <= size {
		var out T
		for lo := 0; lo < n; lo += size {
			work(lo, min(lo+size, n), &out)
			if !use(&out) {
				return
			}
		}
		return
	}
	type run struct {
		lo, hi int
		out    T
		panic  any
		done   chan struct{}
	}
	slots := 2 * workers
	free, jobs, queue := make(chan *run, slots), make(chan *run, slots), make(chan *run, slots)
	for range slots {
		free <- &run{done: make(chan struct{}, 1)}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				func() {
					defer func() { j.panic = recover() }()
					work(j.lo, j.hi, &j.out)
				}()
				j.done <- struct{}{}
			}
		})
	}
	go func() {
		defer close(jobs)
		defer close(queue)
		for lo := 0; lo < n; lo += size {
			var j *run
			select {
			case <-stop:
				return
			case j = <-free:
			}
			j.lo, j.hi = lo, min(lo+size, n)
			jobs <- j
			queue <- j
		}
	}()
	// However the reading ends, the runs in flight are waited for.
	defer func() {
		close(stop)
		for j := range queue {
			<-j.done
		}
		wg.Wait()
	}()
	for j := range queue {
		<-j.done
		if j.panic != nil {
			panic(j.panic)
		}
		if !use(&j.out) {
			return
		}
		free <- j
	}
}

// rawRows yields every row for the 原始数据 sheet when the audit kept the
// cells (Options.KeepCells).
func (r *Report) rawRows() iter.Seq2[int, rawRow] {
	return func(yield func(int, rawRow) bool) {
		if r.audit == nil || !r.keepCells {
			return
		}
		a := r.audit
		for i, rec := range a.records() {
			var raw rawRow
			if rec.listed() {
				rr, v := a.render(rec)
				raw = rawRow{row: rr, vals: a.vals(rec), violations: rr.Violations}
				raw.bad = a.unusable(v.Raw)
			} else {
				raw = rawRow{row: RowReport{File: a.fileOf(rec), Row: int(rec.line), Unit: a.unitOf(rec), Period: a.periodOf(rec),
					Verdict: verdictText[rec.verdict()]}, vals: a.vals(rec)}
				raw.bad = a.unusable(decodeRaw(a.rawOf(rec), a.store.n))
			}
			if !yield(i, raw) {
				return
			}
		}
	}
}

// unusable are the figures kept as written that are not numbers.
func (a *Auditor) unusable(raw []any) map[int]any {
	var bad map[int]any
	for i, v := range raw {
		if v == nil {
			continue
		}
		if _, err := checker.NormalizeFor(v, a.form.Indicators[i]); err != nil {
			if bad == nil {
				bad = map[int]any{}
			}
			bad[i] = v
		}
	}
	return bad
}

var verdictText = [...]string{verdictPass: checker.Pass, verdictWarn: checker.Warn, verdictFail: checker.Fail}

// caseLookup gives the case files the figures beside a cell, from what
// the findings kept of the periods (keepForCases): the peers' medians, and
// what gives a unit's size, computed again from its own figures as the
// peer comparison had it (sizes.basis), so that no record needs to be
// found among its peers.
type caseLookup struct {
	a      *Auditor
	totals map[string]bool
	aware  []bool // by indicator: sizeAware
	// name and unit are those of the last call: a case asks for its
	// unit's row counts, then for its cells.
	name string
	unit *unitRows
}

func newCaseLookup(a *Auditor) *caseLookup {
	l := &caseLookup{a: a, totals: a.totals(), aware: make([]bool, len(a.form.Indicators))}
	for i := range l.aware {
		l.aware[i] = a.sizeAware(i)
	}
	return l
}

// unitRows is the unit of a name, or nil.
func (l *caseLookup) unitRows(name string) *unitRows {
	if l.unit == nil || l.name != name {
		l.name, l.unit = name, l.a.unitNamed(name)
	}
	return l.unit
}

func (l *caseLookup) cell(unit, period string, ind int) (value, median, expected, prev float64, prevPeriod int32) {
	value, median, expected, prev, prevPeriod = math.NaN(), math.NaN(), math.NaN(), math.NaN(), -1
	u := l.unitRows(unit)
	if u == nil {
		return
	}
	r := l.a.find(u, period)
	if r == nil {
		return
	}
	value = l.a.vals(r)[ind]
	if p := l.a.previous(u, period); p != nil {
		prev, prevPeriod = l.a.vals(p)[ind], p.per
	}
	// The peers' median and the unit's size, as the peer comparison had
	// them; a median it did not compute is computed here.
	gi, ok := slices.BinarySearchFunc(l.a.periods, period, func(g *periodRows, p string) int { return strings.Compare(g.period, p) })
	if !ok {
		return
	}
	g := l.a.periods[gi]
	m := g.medians[ind]
	median = round(m, 2)
	if g.sizes == nil || !l.aware[ind] || math.IsNaN(m) || l.totals[unit] {
		return // a total is no peer: it has no size
	}
	sz := g.sizes()
	if math.IsNaN(sz.logMed[ind]) {
		return
	}
	if scale := sz.basis.LogScale(l.a.vals(r)); !math.IsNaN(scale) {
		expected = round(math.Exp(sz.logMed[ind]+scale), 2)
	}
	return
}

func (l *caseLookup) rowCounts(unit string) (errors, warnings int) {
	if u := l.unitRows(unit); u != nil {
		for _, r := range l.a.periodsOf(u, nil) {
			o := l.a.outcome(r)
			errors += int(o.errors)
			warnings += int(o.warnings)
		}
	}
	return
}

// fitForReport makes a finding fit for the report: finite figures, and a
// p-value that underflowed is below the smallest one written (0 is left
// for the rules broken).
func fitForReport(f *Finding) {
	f.finite()
	if statistical(f.Kind) {
		f.P = max(f.P, minP)
	}
}

// finite replaces infinities and NaN (a sum of huge figures can overflow)
// by 0: JSON has no such numbers, and a report must always encode. It
// writes a head only to fix it: a shared one (peer outliers') has a finite
// threshold, and findings sharing it may be made fit at once.
func (f *Finding) finite() {
	fix := func(x *float64) {
		if math.IsInf(*x, 0) || math.IsNaN(*x) {
			*x = 0
		}
	}
	fix(&f.Value)
	fix(&f.P)
	if f.h != nil {
		fix(&f.h.threshold)
	}
	for i := range f.Values() {
		fix(&f.vals[i])
	}
}

// UnitSection is what the text report says about one unit: its rows with
// violations and its findings.
type UnitSection struct {
	Unit     string
	Errors   int
	Warnings int
	Rows     []RowReport
	Findings []Finding
}

// unitSections yields what the report says of each unit with rows
// listed or findings: the units of the case files first, in their rank,
// then those of TopUnits, then the others by name. Findings about the
// whole batch are left out. A unit's rows are rendered when it is
// yielded (a few runs of units ahead, on the workers), so that the text
// report holds the rows of those units only, not every listed row (1.7 GB
// at a million rows).
func (r *Report) unitSections() iter.Seq[*UnitSection] {
	return func(yield func(*UnitSection) bool) {
		type unitRefs struct {
			unit string
			// rows are the unit's records (an audit) or listed rows
			// (RowsReport), in input order; finds its findings.
			rows, finds []int32
		}
		idx := map[string]int{}
		var units []unitRefs
		get := func(u string) *unitRefs {
			i, ok := idx[u]
			if !ok {
				i = len(units)
				idx[u] = i
				units = append(units, unitRefs{unit: u})
			}
			return &units[i]
		}
		for _, c := range r.Cases {
			get(c.Unit)
		}
		for _, u := range r.Summary.TopUnits {
			get(u.Unit)
		}
		ranked := len(units)
		if a := r.audit; a != nil {
			for i, rec := range a.records() {
				if rec.listed() {
					u := get(a.unitOf(rec))
					u.rows = append(u.rows, int32(i))
				}
			}
		} else {
			for k := range r.listed.len() {
				u := get(r.listed.unitOf(k))
				u.rows = append(u.rows, int32(k))
			}
		}
		for i := range r.Findings {
			if f := &r.Findings[i]; f.Unit != AllUnits {
				u := get(f.Unit)
				u.finds = append(u.finds, int32(i))
			}
		}
		idx = nil
		slices.SortFunc(units[ranked:], func(a, b unitRefs) int { return cmp.Compare(a.unit, b.unit) })
		// Rendered in runs on the workers, as the rows of the other
		// reports are, and yielded in order.
		work := func(lo, hi int, out *[]UnitSection) {
			clear(*out)
			*out = (*out)[:0]
			for i := lo; i < hi; i++ {
				u := &units[i]
				s := UnitSection{Unit: u.unit}
				for _, k := range u.rows {
					var row RowReport
					if r.audit != nil {
						row, _ = r.audit.render(r.audit.rec(int(k)))
					} else {
						row = r.listed.render(int(k))
					}
					s.Rows = append(s.Rows, row)
					s.Errors += row.Summary.Errors
					s.Warnings += row.Summary.Warnings
				}
				for _, k := range u.finds {
					s.Findings = append(s.Findings, r.Findings[k])
				}
				*u = unitRefs{} // rendered: let go of its lists
				*out = append(*out, s)
			}
		}
		inOrder(len(units), unitsPerRun, r.workers(), work, func(out *[]UnitSection) bool {
			for i := range *out {
				if !yield(&(*out)[i]) {
					return false
				}
			}
			return true
		})
	}
}

// unitsPerRun is how many units of the text report a worker renders at a
// time.
const unitsPerRun = 128

// writeCases writes the case files and the tests' applicability for a
// terminal: the part of the text report before the detail.
func (r *Report) writeCases(w io.Writer) {
	if len(r.Tests) > 0 {
		fmt.Fprintln(w, "\n统计检验:")
		for _, t := range r.Tests {
			fmt.Fprintf(w, "  [%s] %s\n", KindNames[t.Kind], t.Reason)
		}
	}
	if len(r.Cases) == 0 {
		return
	}
	fmt.Fprintf(w, "\n问题线索(%d个单位,按证据强弱排序):\n", len(r.Cases))
	for ci := range r.Cases {
		c := &r.Cases[ci]
		mark := ""
		if !c.Significant {
			mark = "(证据不足)"
		}
		fmt.Fprintf(w, "%3d. %s%s [%s] %s\n", ci+1, c.Unit, mark, severityNames[c.Severity()], r.CaseSummary(c))
		for i := range r.Items(c) {
			fmt.Fprintf(w, "     - %s\n", r.evidenceText(c, i))
			for _, k := range r.Reasons(c, i) {
				f := &r.Findings[k]
				fmt.Fprintf(w, "         [%s] %s\n", KindNames[f.Kind], f.ReasonText())
			}
		}
	}
}

// evidenceText is the cell and figures of case c's item i in one line.
func (r *Report) evidenceText(c *Case, i int) string {
	it := &r.Items(c)[i]
	period, _, name, peer := r.ItemCell(c, i)
	var b strings.Builder
	if period != "" {
		b.WriteString(period)
		b.WriteByte(' ')
	}
	switch {
	case name != "":
		fmt.Fprintf(&b, "「%s」", name)
	case peer != "":
		fmt.Fprintf(&b, "与「%s」", peer)
	default:
		b.WriteString("全部数字")
	}
	if !math.IsNaN(it.Value) {
		fmt.Fprintf(&b, " 填报%s", fv(it.Value))
		if !math.IsNaN(it.PeerMedian) {
			fmt.Fprintf(&b, ",同期各单位中位数%s", fv(it.PeerMedian))
		}
		if !math.IsNaN(it.Expected) {
			fmt.Fprintf(&b, ",同等规模单位约%s", fv(math.Round(it.Expected)))
		}
		if !math.IsNaN(it.Previous) {
			fmt.Fprintf(&b, ",上期(%s)%s", r.PreviousPeriod(it), fv(it.Previous))
		}
	}
	return b.String()
}
