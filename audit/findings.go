package audit

import (
	"cmp"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/figcheck/figcheck/audit/anomaly"
	"github.com/figcheck/figcheck/rules"
)

// Finding kinds.
const (
	KindBatchRule  = "batch_rule"
	KindHierarchy  = "hierarchy"
	KindJump       = "jump"
	KindBenford1   = "benford_first_digit"
	KindBenford2   = "benford_first_two_digits"
	KindLastDigit  = "last_digit"
	KindDuplicate  = "duplicate"
	KindOutlier    = "peer_outlier"
	KindBatchError = "batch_rule_error"
)

// Kinds lists every finding kind (for metrics born at zero).
var Kinds = []string{KindBatchRule, KindHierarchy, KindJump, KindBenford1, KindBenford2, KindLastDigit, KindDuplicate, KindOutlier, KindBatchError}

// AllUnits is the unit of a finding about the whole batch.
const AllUnits = "all"

// Finding is one thing the batch checks or the anomaly tests found. Its
// kind, unit, statistic's value and p-value are members; the rest it
// says is read by its methods. A finding holds its figures in place, and
// shares what the peer outliers of one indicator in one period say alike
// with them (516,670 findings at 1M retailers rows: 88 bytes each). Its
// JSON (MarshalJSON) is
//
//	{"kind":…, "check":…, "severity":…, "unit":…, "period":…, "peer":…,
//	 "indicator":…, "indicator_name":…, "values":[…], "statistic":…,
//	 "value":…, "threshold":…, "p":…, "reason":…}
//
// check, period, peer, indicator, indicator_name and values left out
// when empty.
type Finding struct {
	Kind string
	// Unit is the unit concerned, or "all".
	Unit string
	// Value is the statistic's value (Statistic), beyond the Threshold.
	Value float64
	// P is the p-value of a statistical test's finding: the chance that a
	// unit with honest figures gives evidence this strong in this test,
	// adjusted for the number of such tests run on the unit (cells,
	// pairs). 0 for a rule broken.
	P float64
	// vals are the figures, Values; a peer outlier compared with units of
	// its size holds its size and the figure they report after them.
	vals [4]float64
	h    *findingHead
}

// findingHead is what a finding says beside its kind, unit, value,
// p-value and figures: one finding's own, or shared by the peer outliers
// of one indicator in one period (why not nil).
type findingHead struct {
	check, severity, period, peer, indicator, name, statistic string
	// reason is empty for a peer outlier, whose reason is rendered from
	// its figures when written (100 MB of text at 1M retailers rows).
	reason    string
	threshold float64
	nvals     int
	why       *outlierWhy
}

// noHead is the head of the zero Finding.
var noHead findingHead

// head is f's head, noHead for the zero Finding.
func (f *Finding) head() *findingHead {
	if f.h == nil {
		return &noHead
	}
	return f.h
}

// Check is the id of the batch rule, hierarchy or jump check; empty for
// the anomaly tests.
func (f *Finding) Check() string { return f.head().check }

// Severity is "error", "warning" or "info".
func (f *Finding) Severity() string { return f.head().severity }

// Period is the finding's period; empty for one about many.
func (f *Finding) Period() string { return f.head().period }

// Peer is the other unit of a duplicate.
func (f *Finding) Peer() string { return f.head().peer }

// Indicator is an indicator id; empty when the finding is about many.
func (f *Finding) Indicator() string { return f.head().indicator }

// Name is the indicator's name.
func (f *Finding) Name() string { return f.head().name }

// Statistic names the measure whose value is Value.
func (f *Finding) Statistic() string { return f.head().statistic }

// Threshold is the bound Value crossed.
func (f *Finding) Threshold() float64 { return f.head().threshold }

// Values are the figures the finding is about (a slice of the finding).
func (f *Finding) Values() []float64 {
	n := f.head().nvals
	return f.vals[:n:n]
}

// findingMembers are what a finding says, to make one (newFinding).
type findingMembers struct {
	Kind, Check, Severity, Unit, Period, Peer, Indicator, Name string
	Values                                                     []float64
	Statistic                                                  string
	Value, Threshold, P                                        float64
	Reason                                                     string
}

// newFinding makes the finding of m with its own head h.
func newFinding(m findingMembers, h *findingHead) Finding {
	if len(m.Values) > len(Finding{}.vals) {
		panic("audit: a finding of more than four figures")
	}
	*h = findingHead{check: m.Check, severity: m.Severity, period: m.Period, peer: m.Peer, indicator: m.Indicator, name: m.Name,
		statistic: m.Statistic, reason: m.Reason, threshold: m.Threshold, nvals: len(m.Values)}
	f := Finding{Kind: m.Kind, Unit: m.Unit, Value: m.Value, P: m.P, h: h}
	copy(f.vals[:], m.Values)
	return f
}

// outlierWhy is what the peer outliers of one indicator in one period say
// alike beyond their head.
type outlierWhy struct {
	unit   string // the indicator's unit of measure
	per    string // the name of the indicator of Options.Per, or ""
	peers  int    // how many units were compared
	median float64
	bySize bool // counts compared with units of their size (sizeOutliers)
}

// outlierHead is the head shared by the peer outliers of ind in a period.
func outlierHead(period string, ind *rules.Indicator, statistic string, threshold float64, nvals int, why *outlierWhy) *findingHead {
	return &findingHead{severity: "warning", period: period, indicator: ind.ID, name: ind.Name, statistic: statistic,
		threshold: threshold, nvals: nvals, why: why}
}

// AppendReason appends the finding's reason to b, a peer outlier's
// rendered from its figures. It is the one place a peer outlier's reason
// is written. The direction is the z-score's sign: the rounded Value,
// beyond the threshold, has that of the exact one. A peer outlier
// compared with units of its size holds its size and the figure they
// report as its third and fourth figures.
func (f *Finding) AppendReason(b []byte) []byte {
	h := f.head()
	w := h.why
	if w == nil {
		return append(b, h.reason...)
	}
	b = append(append(append(b, "「"...), h.name...), "」为"...)
	b = append(appendFV(b, f.vals[0]), w.unit...)
	if w.bySize {
		b = appendFV(append(b, ",该单位规模约为中位单位的"...), f.vals[2])
		b = appendFV(append(b, "倍,同等规模单位约"...), f.vals[3])
		b = appendInt(append(append(b, w.unit...), "(同期"...), w.peers)
		b = appendFV(append(b, "个单位中位数"...), w.median)
		b = appendFV(append(b, "),稳健z分数"...), f.Value)
		b = appendFV(append(b, ",超过"...), h.threshold)
		return append(append(append(b, ",明显"...), direction(f.Value)...), "同等规模单位"...)
	}
	if w.per != "" {
		b = append(append(append(b, ",按「"...), w.per...), "」折算为每单位"...)
		b = appendFV(b, f.vals[1])
	}
	b = append(appendInt(append(b, ",同期"...), w.peers), "个单位的中位数为"...)
	b = appendFV(append(appendFV(b, w.median), ",修正z分数"...), f.Value)
	return append(append(append(b, ",明显"...), direction(f.Value)...), "同类单位"...)
}

// ReasonText returns the finding's reason in plain Chinese (see
// AppendReason).
func (f *Finding) ReasonText() string {
	if h := f.head(); h.why == nil {
		return h.reason
	}
	return string(f.AppendReason(nil))
}

func fv(x float64) string { return rules.FormatValue(x) }

// totals are the units that report a hierarchy total; they are left out of
// peer comparisons.
func (a *Auditor) totals() map[string]bool {
	t := map[string]bool{}
	for _, h := range a.form.Hierarchies {
		t[h.Total] = true
	}
	return t
}

// periodRows are the records of one period, by number (record.id): 4
// bytes a record, where a pointer and a slice of its figures took 32.
type periodRows struct {
	period string
	recs   []int32
	// peers are the records of the units that report no hierarchy total,
	// in the order of recs; their figures are read from the store
	// (Auditor.peerVals).
	peers []int32
	// sizes are the peers' sizes, when peer outliers were compared;
	// medians the peers' median of each indicator (by form index, NaN
	// when not compared), written by the outliers calls.
	sizes   func() sizes
	medians []float64
	// After the findings (keepForCases), recs and peers are nil,
	// medians has every indicator and sizes only logMed and basis.
}

// periodRows groups the records by period, in period order, in two
// passes: one counts each period's records and peers, the other fills
// slices of those lengths. The period is looked up only where it changes
// from one record to the next.
func (a *Auditor) periodRows(totals map[string]bool) []*periodRows {
	type count struct {
		g            *periodRows
		recs, totals int
	}
	at := map[string]*count{}
	var counts []*count
	each := func(visit func(c *count, r *record, total bool)) {
		var c *count
		for _, r := range a.records() {
			if c == nil || c.g.period != a.periodOf(r) {
				if c = at[a.periodOf(r)]; c == nil {
					c = &count{g: &periodRows{period: a.periodOf(r)}}
					at[a.periodOf(r)] = c
					counts = append(counts, c)
				}
			}
			visit(c, r, len(totals) > 0 && totals[a.unitOf(r)])
		}
	}
	each(func(c *count, _ *record, total bool) {
		c.recs++
		c.totals += b2i(total)
	})
	for _, c := range counts {
		g := c.g
		g.peers = make([]int32, 0, c.recs-c.totals)
		if c.totals > 0 {
			g.recs = make([]int32, 0, c.recs)
		}
	}
	each(func(c *count, r *record, total bool) {
		g := c.g
		if c.totals > 0 {
			g.recs = append(g.recs, r.id)
		}
		if !total {
			g.peers = append(g.peers, r.id)
		}
	})
	out := make([]*periodRows, len(counts))
	for i, c := range counts {
		if c.totals == 0 {
			c.g.recs = c.g.peers // the same records: one slice
		}
		out[i] = c.g
	}
	slices.SortFunc(out, func(x, y *periodRows) int { return strings.Compare(x.period, y.period) })
	return out
}

// peerVals gives the figures of the k-th of the records ids.
func (a *Auditor) peerVals(ids []int32) func(k int) []float64 {
	return func(k int) []float64 { return a.store.vals(ids[k]) }
}

// inputUnits lists the units in the input order of their earliest
// period's record, which is close to the order of their records in memory.
func (a *Auditor) inputUnits() []*unitRows {
	us := make([]*unitRows, 0, a.unitCount())
	for _, r := range a.records() {
		if r.next < 0 { // the unit's earliest period
			us = append(us, &a.units.units[r.unit])
		}
	}
	return us
}

// findings runs the batch checks and the anomaly tests (findingRuns) and
// merges their findings, sorted on a key that no two different findings
// share, so that the result does not depend on the order in which the
// parts finish. What the case files need of the periods is kept, the rest
// let go before the merge (keepForCases).
func (a *Auditor) findings() ([]Finding, []anomaly.BenfordResult) {
	runs, global := a.findingRuns()
	a.keepForCases()
	return mergeRuns(runs, a.opts.Workers, fitForReport), global
}

// findingRuns runs the batch checks and the anomaly tests. The parts are
// independent and run on up to Options.Workers goroutines, each sorting
// its findings (sortRun). It sets a.periods and a.tests.
func (a *Auditor) findingRuns() ([]sortedRun, []anomaly.BenfordResult) {
	totals := a.totals()
	groups := a.periodRows(totals)
	var inds []*rules.Indicator // those compared between peers
	for _, ind := range a.form.Indicators {
		if a.per == nil || ind.Index != a.per.Index {
			inds = append(inds, ind)
		}
	}
	// The digit tests leave out small counts, which takes a pass over the
	// batch: the first task to need them computes them.
	digitInds := sync.OnceValue(func() []int {
		a.small = a.smallCounts()
		return a.digitInds()
	})
	var (
		tasks  []func() [][]Finding
		global []anomaly.BenfordResult
		// wideInds and narrowInds are the indicators of the batch-wide
		// Benford tests and those left out.
		wideInds, narrowInds int
	)
	add := func(f func() [][]Finding) { tasks = append(tasks, f) }
	units := sync.OnceValue(a.inputUnits)
	var ust unitStats
	dispersion := sync.OnceValue(func() [2]float64 { return a.digitDispersion(units(), digitInds(), totals) })
	zeroTails := sync.OnceValue(func() []*anomaly.ZeroTails { return a.zeroTails(totals) })
	alpha := a.unitAlpha(totals)
	chunks := a.opts.Workers * 2
	chunk := func(k int) []*unitRows {
		us := units()
		return us[k*len(us)/chunks : (k+1)*len(us)/chunks]
	}
	// Copies are weighed at the batch's level shared among all pairs of
	// units compared in all periods.
	pairs, dupPerUnit := 0.0, 0
	for _, g := range groups {
		n := len(g.peers)
		pairs += float64(n) * float64(n-1) / 2
		dupPerUnit += max(n-1, 0)
	}
	dupLevel := a.opts.Alpha / max(pairs, 1)
	// The longest parts first, the shortest last, to balance the workers,
	// but for memory: the batch rules' columns (88 MB at a million
	// records, most of it rules.EvalBatch's) are held beside the digit
	// and jump tests, which hold little, not beside the duplicates' index
	// or the peer comparison's scratch and findings. Parts of one kind
	// keep their order: findings that compare equal merge in it.
	add(func() [][]Finding {
		units() // for the tasks below
		zeroTails()
		dispersion()
		var bf [][]Finding
		bf, global, wideInds, narrowInds = a.benford(digitInds())
		return bf
	})
	for _, g := range groups {
		add(func() [][]Finding { return [][]Finding{a.batchRules(g.period, g.recs)} })
	}
	for k := range chunks {
		add(func() [][]Finding {
			return a.unitDigits(chunk(k), digitInds(), zeroTails(), dispersion(), totals, alpha, &ust)
		})
	}
	for k := range chunks {
		add(func() [][]Finding { return a.jumps(chunk(k)) })
	}
	// The outliers' scratch memory, reused from call to call, is let go
	// when the tasks are done (a sync.Pool would keep it, 18 MB a worker
	// at a million rows, until the second collection after).
	var scratch scratchList
	for _, g := range groups {
		add(func() [][]Finding { return a.duplicates(g.period, g.peers, dupLevel, dupPerUnit) })
		if len(g.peers) >= a.opts.MinPeers {
			// The peers' sizes are estimated by the first outliers call
			// that needs them.
			sz := sync.OnceValue(func() sizes { return a.periodSizes(g.peers) })
			g.sizes = sz
			g.medians = make([]float64, len(a.form.Indicators))
			for i := range g.medians {
				g.medians[i] = math.NaN()
			}
			// Blocks of at most outlierBlock indicators, and at least two
			// per worker, so that a form of few indicators keeps every
			// worker busy.
			per := min(outlierBlock, max(1, (len(inds)+2*a.opts.Workers-1)/(2*a.opts.Workers)))
			for lo := 0; lo < len(inds); lo += per {
				block := inds[lo:min(lo+per, len(inds))]
				add(func() [][]Finding { return a.outliers(g, block, len(inds)*len(groups), &scratch) })
			}
		}
	}
	for _, g := range groups {
		add(func() [][]Finding { return a.hierarchies(g) })
	}
	sorting := make([]func() []sortedRun, len(tasks))
	for i, task := range tasks {
		sorting[i] = func() []sortedRun {
			lists := task()
			runs := make([]sortedRun, len(lists))
			for k, fs := range lists {
				runs[k] = sortRun(fs)
			}
			return runs
		}
	}
	var runs []sortedRun
	for _, r := range runTasks(sorting, a.opts.Workers) {
		runs = append(runs, r...)
	}
	a.periods = groups
	a.tests = a.testStatus(global, wideInds, narrowInds, groups, &ust, dispersion(), alpha, dupLevel, pairs, len(inds)*len(groups))
	return runs, global
}

// keepForCases keeps of each period what the case files look up, the
// peers' median of every indicator and what gives a unit's size, and lets
// go of its records and their figures. The medians the peer comparison
// did not compute are computed here, on the workers.
func (a *Auditor) keepForCases() {
	var tasks []func() struct{}
	for _, g := range a.periods {
		if g.medians == nil {
			g.medians = make([]float64, len(a.form.Indicators))
			for i := range g.medians {
				g.medians[i] = math.NaN()
			}
		}
		for ind, m := range g.medians {
			if !math.IsNaN(m) {
				continue
			}
			tasks = append(tasks, func() struct{} {
				xs := make([]float64, 0, len(g.peers))
				for _, id := range g.peers {
					if x := a.store.vals(id)[ind]; !math.IsNaN(x) {
						xs = append(xs, x)
					}
				}
				g.medians[ind] = anomaly.Median(xs) // each task writes its own
				return struct{}{}
			})
		}
	}
	runTasks(tasks, a.opts.Workers)
	sized := a.sized()
	for _, g := range a.periods {
		if g.sizes != nil && sized {
			s := g.sizes()
			kept := sizes{logMed: s.logMed, basis: s.basis}
			g.sizes = func() sizes { return kept }
		} else {
			g.sizes = nil
		}
		g.recs, g.peers = nil, nil
	}
}

// compareFindings orders findings by kind, unit, period, check, indicator
// and peer, comparing no more than it needs to (cmp.Or would compare all
// six, and cmp.Compare a string twice).
func compareFindings(x, y *Finding) int {
	if kx, ky := kindOrder(x.Kind), kindOrder(y.Kind); kx != ky {
		return cmp.Compare(kx, ky)
	}
	if c := strings.Compare(x.Unit, y.Unit); c != 0 {
		return c
	}
	hx, hy := x.head(), y.head()
	if hx == hy { // peer outliers of one indicator in one period
		return 0
	}
	if c := strings.Compare(hx.period, hy.period); c != 0 {
		return c
	}
	if c := strings.Compare(hx.check, hy.check); c != 0 {
		return c
	}
	if c := strings.Compare(hx.indicator, hy.indicator); c != 0 {
		return c
	}
	return strings.Compare(hx.peer, hy.peer)
}

// kindOrder is the place of a kind's findings in the report.
func kindOrder(kind string) int {
	switch kind {
	case KindHierarchy:
		return 0
	case KindBatchRule:
		return 1
	case KindBatchError:
		return 2
	case KindJump:
		return 3
	case KindDuplicate:
		return 4
	case KindOutlier:
		return 5
	case KindLastDigit:
		return 6
	case KindBenford1:
		return 7
	case KindBenford2:
		return 8
	}
	return 0
}

// testStatus says what each statistical test was run on, or why it does
// not apply.
func (a *Auditor) testStatus(global []anomaly.BenfordResult, wide, narrow int, groups []*periodRows, st *unitStats, phi [2]float64, alpha, dupLevel, pairs float64, cells int) []TestStatus {
	var out []TestStatus
	for _, b := range global {
		kind := KindBenford1
		if b.Digits == 2 {
			kind = KindBenford2
		}
		t := TestStatus{Kind: kind, Scope: "batch", Tested: b.N, Level: a.opts.Alpha, Applicable: b.Reason == ""}
		if t.Applicable {
			t.Reason = fmt.Sprintf("全批%d项指标的%d个不小于10的数字:MAD=%s(%s),卡方p=%.2g", wide, b.N, fv(round(b.MAD, 5)), conformityNames[b.Conformity], b.P)
			if narrow > 0 {
				t.Reason += fmt.Sprintf(";另有%d项指标的数值跨度不足%s个数量级,不适用,未计入", narrow, fv(anomaly.MinSpread))
			}
		} else {
			t.Reason = "全批:" + b.Reason
		}
		out = append(out, t)
	}
	tested, few, narrow := int(st.benfordTested.Load()), int(st.benfordFew.Load()), int(st.benfordNarrow.Load())
	t := TestStatus{Kind: KindBenford1, Scope: "unit", Tested: tested, Skipped: few + narrow, Level: alpha, Applicable: tested > 0}
	t.Reason = fmt.Sprintf("逐单位:检验%d个单位(水平%.2g,卡方按全批各单位的离散度%s校正)", tested, alpha, fv(round(phi[0], 2)))
	if few > 0 {
		t.Reason += fmt.Sprintf(";%d个单位不小于10的数字不足%d个,不适用", few, a.opts.MinUnitBenford)
	}
	if narrow > 0 {
		t.Reason += fmt.Sprintf(";%d个单位的数值跨度不足%s个数量级,不适用", narrow, fv(anomaly.MinSpread))
	}
	out = append(out, t)
	tested, few = int(st.roundTested.Load()), int(st.roundFew.Load())
	t = TestStatus{Kind: KindLastDigit, Scope: "unit", Tested: tested, Skipped: few, Level: alpha, Applicable: tested > 0}
	t.Reason = fmt.Sprintf("逐单位:按数字位数检验结尾的0,与全批其他单位比较,检验%d个单位(水平%.2g)", tested, alpha)
	if few > 0 {
		t.Reason += fmt.Sprintf(";%d个单位不小于10的数字不足%d个,不适用", few, minRounding)
	}
	out = append(out, t)
	compared, short := 0, 0
	for _, g := range groups {
		if len(g.peers) >= 2 {
			compared++
		} else {
			short++
		}
	}
	t = TestStatus{Kind: KindDuplicate, Scope: "period", Tested: compared, Skipped: short, Level: dupLevel, Applicable: compared > 0}
	t.Reason = fmt.Sprintf("逐期两两比较:%s对单位,偶然相同的概率低于%s即报告", fv(pairs), pow10Text(math.Log10(dupLevel)))
	if !t.Applicable {
		t.Reason = "不适用:每期不足2个单位"
	}
	out = append(out, t)
	compared, short = 0, 0
	for _, g := range groups {
		if len(g.peers) >= a.opts.MinPeers {
			compared++
		} else {
			short++
		}
	}
	level, crit := a.outlierLevel(cells)
	t = TestStatus{Kind: KindOutlier, Scope: "period", Tested: compared, Skipped: short, Level: level, Applicable: compared > 0}
	how := "计数类指标与同等规模单位比较,比率和人均类指标直接比较"
	if a.per != nil {
		how = fmt.Sprintf("按「%s」折算后比较", a.per.Name)
	}
	t.Reason = fmt.Sprintf("逐期:%s,|z|超过%s即报告", how, fv(round(crit, 2)))
	if short > 0 {
		t.Reason += fmt.Sprintf(";%d期单位不足%d个,不适用", short, a.opts.MinPeers)
	}
	out = append(out, t)
	return out
}

// runTasks runs the tasks on up to workers goroutines and returns their
// results in the order of the tasks. A panic in a task is raised again in
// the caller, where a server's recovery can see it.
func runTasks[T any](tasks []func() T, workers int) []T {
	results := make([]T, len(tasks))
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		failure error
	)
	for range min(workers, len(tasks)) {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					next.Store(int64(len(tasks))) // the others stop after their task
					mu.Lock()
					if failure == nil {
						failure = fmt.Errorf("audit: findings: %v\n\n%s", p, debug.Stack())
					}
					mu.Unlock()
				}
			}()
			for i := int(next.Add(1) - 1); i < len(tasks); i = int(next.Add(1) - 1) {
				results[i] = tasks[i]()
			}
		})
	}
	wg.Wait()
	if failure != nil {
		panic(failure)
	}
	return results
}

// batchRules evaluates the batch rules on the records of a period.
func (a *Auditor) batchRules(period string, recs []int32) []Finding {
	if len(a.form.BatchRules) == 0 {
		return nil
	}
	b := &rules.Batch{Period: period, Columns: make([][]float64, len(a.form.Indicators))}
	var used []int // the indicators the rules read
	readsRows := false
	for _, r := range a.form.BatchRules {
		for _, ind := range r.Uses {
			if b.Columns[ind.Index] == nil {
				b.Columns[ind.Index] = make([]float64, len(recs))
				used = append(used, ind.Index)
			}
		}
		readsRows = readsRows || r.ReadsRows
	}
	// The columns in one pass over the records, which are scattered in
	// memory: a record's figures are read together.
	for k, id := range recs {
		vals := a.store.vals(id)
		for _, i := range used {
			b.Columns[i][k] = vals[i]
		}
	}
	if readsRows {
		b.Units = make([]string, len(recs))
		for k, id := range recs {
			b.Units[k] = a.unitOf(a.store.rec(id))
		}
	}
	var out []Finding
	for _, o := range a.form.EvalBatch(b) {
		r := o.Rule
		switch {
		case o.Err != nil:
			out = append(out, batchError(r, period, o.Err))
		case !o.OK:
			m := findingMembers{Kind: KindBatchRule, Check: r.ID, Severity: r.Severity.String(), Unit: AllUnits, Period: period,
				Statistic: "规则", Reason: r.Name + ":" + o.Message}
			if len(r.Uses) == 1 {
				m.Indicator, m.Name = r.Uses[0].ID, r.Uses[0].Name
			}
			out = append(out, newFinding(m, new(findingHead)))
		}
	}
	return out
}

func batchError(r *rules.Rule, period string, err error) Finding {
	return newFinding(findingMembers{Kind: KindBatchError, Check: r.ID, Severity: rules.SevInfo.String(), Unit: AllUnits, Period: period,
		Statistic: "规则", Reason: fmt.Sprintf("批量规则「%s」无法计算:%v", r.Name, err)}, new(findingHead))
}

// unitRecord is the record of a unit in a period, or nil.
func (a *Auditor) unitRecord(unit, period string) *record {
	if u := a.unitNamed(unit); u != nil {
		return a.find(u, period)
	}
	return nil
}

func (a *Auditor) hierarchies(g *periodRows) [][]Finding {
	var l findingList
	for _, h := range a.form.Hierarchies {
		total := a.unitRecord(h.Total, g.period)
		if total == nil {
			continue
		}
		parts := g.peers
		if len(h.Parts) > 0 {
			parts = nil
			for _, name := range h.Parts {
				if r := a.unitRecord(name, g.period); r != nil {
					parts = append(parts, r.id)
				}
			}
		}
		if len(parts) == 0 {
			continue
		}
		// The sums of the parts, in one pass over them.
		sums := make([]float64, len(h.Indicators))
		counts := make([]int, len(h.Indicators))
		for _, id := range parts {
			for j, ind := range h.Indicators {
				if x := a.store.vals(id)[ind.Index]; !math.IsNaN(x) {
					sums[j] += x
					counts[j]++
				}
			}
		}
		for j, ind := range h.Indicators {
			t := a.vals(total)[ind.Index]
			if math.IsNaN(t) {
				continue
			}
			sum, n := sums[j], counts[j]
			diff := t - sum
			tol := max(h.Tolerance, h.TolerancePercent/100*math.Abs(t))
			if math.Abs(diff) <= tol+1e-9 {
				continue
			}
			b := append(append(append(append(l.text.buf, "「"...), ind.Name...), "」"...), h.Total...)
			b = append(append(appendFV(append(b, "填报"...), t), ind.Unit...), ","...)
			b = appendFV(append(appendInt(b, n), "个下属单位合计"...), sum)
			b = appendFV(append(append(b, ind.Unit...), ",相差"...), diff)
			b = appendFV(append(append(b, ind.Unit...), ",超出允许误差"...), tol)
			l.add(findingMembers{
				Kind: KindHierarchy, Check: h.ID, Severity: h.Severity.String(), Unit: h.Total, Period: g.period,
				Indicator: ind.ID, Name: ind.Name, Values: []float64{t, sum}, Statistic: "差额(合计−分项之和)",
				Value: diff, Threshold: tol,
			}, b)
		}
	}
	return l.lists()
}

func (a *Auditor) jumps(units []*unitRows) [][]Finding {
	var l findingList
	var periods []*record
	for _, u := range units {
		periods = a.periodsOf(u, periods[:0])
		for i := 1; i < len(periods); i++ {
			prev, cur := periods[i-1], periods[i]
			for _, j := range a.form.Jumps {
				for _, ind := range j.Indicators {
					x0, x1 := a.vals(prev)[ind.Index], a.vals(cur)[ind.Index]
					if math.IsNaN(x0) || math.IsNaN(x1) || max(math.Abs(x0), math.Abs(x1)) < j.MinValue {
						continue
					}
					var f findingMembers
					d := x1 - x0
					// The reasons start alike: 「name」由period的…
					t := append(append(append(append(append(l.text.buf, "「"...), ind.Name...), "」由"...), a.periodOf(prev)...), "的"...)
					switch {
					case j.MaxPoints > 0 && math.Abs(d) > j.MaxPoints:
						f.Statistic, f.Value, f.Threshold = "变化量", d, j.MaxPoints
						t = appendFV(append(append(appendFV(t, x0), ind.Unit...), "变为"...), x1)
						t = append(append(appendFV(append(t, ",变化"...), d), ind.Unit...), ",超过"...)
						t = appendFV(t, j.MaxPoints)
					case j.MaxChange > 0 && x0 == 0 && x1 != 0:
						f.Statistic, f.Value, f.Threshold = "变化率(%)", math.Inf(1), j.MaxChange
						t = append(appendFV(append(t, "0变为"...), x1), ind.Unit...)
					case j.MaxChange > 0 && x0 != 0 && math.Abs(d/x0*100) > j.MaxChange:
						pct := d / math.Abs(x0) * 100
						f.Statistic, f.Value, f.Threshold = "变化率(%)", pct, j.MaxChange
						t = appendFV(append(append(appendFV(t, x0), ind.Unit...), "变为"...), x1)
						t = appendFV(append(append(t, ind.Unit...), ",变化"...), math.Round(pct*10)/10)
						t = append(appendFV(append(t, "%,超过±"...), j.MaxChange), "%"...)
					default:
						l.text.buf = t[:len(l.text.buf)] // no jump: the start written is dropped
						continue
					}
					if math.IsInf(f.Value, 0) {
						f.Value = 0 // JSON has no infinity; the reason says it
					}
					f.Kind, f.Check, f.Severity, f.Unit, f.Period = KindJump, j.ID, j.Severity.String(), a.unitName(u), a.periodOf(cur)
					f.Indicator, f.Name, f.Values = ind.ID, ind.Name, []float64{x0, x1}
					l.add(f, t)
				}
			}
		}
	}
	return l.lists()
}

// outlierBlock is how many indicators one outliers call compares at most.
const outlierBlock = 49

// outlierScratch is the memory of an outliers call, kept for the next: an
// indicator's figures (col), their scores (z) and the scratch space of
// their medians (buf). One indicator is compared at a time, so that a
// worker holds two figures and a quarter of one per record (18 MB at a
// million records, where a block of indicators' figures took 48).
type outlierScratch struct {
	col, z, buf []float64
}

// scratchList holds the outlierScratch not in use.
type scratchList struct {
	mu   sync.Mutex
	free []*outlierScratch
}

func (l *scratchList) get() *outlierScratch {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		sc := l.free[n-1]
		l.free = l.free[:n-1]
		return sc
	}
	return new(outlierScratch)
}

func (l *scratchList) put(sc *outlierScratch) {
	l.mu.Lock()
	l.free = append(l.free, sc)
	l.mu.Unlock()
}

// sizes are the units' log sizes in one period (in the order of the
// period's peers) and the log medians of the size-aware indicators (by
// form index, NaN for the others), from LogScales.
type sizes struct {
	scale, logMed []float64
	size          []float64 // exp(scale)
	// basis gives the scale of one unit from its figures, as scale has it.
	basis anomaly.SizeBasis
}

// periodSizes estimates the sizes of a period's units from their count
// figures (see sizeAware): the median of each unit's log-ratios to the
// indicators' medians. Indicators with a median below 10 are left out,
// as small counts move by whole units.
func (a *Auditor) periodSizes(peers []int32) sizes {
	var idx []int
	for i := range a.form.Indicators {
		if a.sizeAware(i) {
			idx = append(idx, i)
		}
	}
	scale, lm, basis := anomaly.LogScales(len(peers), a.peerVals(peers), idx, a.opts.MinPeers, 10)
	logMed := make([]float64, len(a.form.Indicators))
	for i := range logMed {
		logMed[i] = math.NaN()
	}
	for j, i := range idx {
		logMed[i] = lm[j]
	}
	size := make([]float64, len(scale))
	for k, s := range scale {
		size[k] = math.Exp(s)
	}
	return sizes{scale: scale, logMed: logMed, size: size, basis: basis}
}

// outlierLevel is the two-sided p-value below which a figure is a peer
// outlier, and the |z| it takes: the per-unit level shared among the
// cells of a unit that are compared (Bonferroni), so that a clean unit is
// flagged with at most that chance however many figures it reports.
func (a *Auditor) outlierLevel(cells int) (level, crit float64) {
	level = a.unitAlpha(a.totals()) / float64(max(cells, 1))
	return level, max(a.opts.OutlierZ, anomaly.CriticalTwoSided(level))
}

// outliers finds the peer outliers of the indicators inds among recs, whose
// figures are vecs. A count is compared with what units of the same size
// report (sz); a rate, a per-capita figure or, with --per, a figure per
// unit of the size indicator, as it is, by the modified z-score. cells is
// the number of cells compared per unit, for the level.
func (a *Auditor) outliers(g *periodRows, inds []*rules.Indicator, cells int, scratch *scratchList) [][]Finding {
	period, recs, sz := g.period, g.peers, g.sizes
	if len(recs) < a.opts.MinPeers {
		return nil
	}
	sc := scratch.get()
	defer scratch.put(sc)
	n := len(recs)
	grow := func(s []float64, n int) []float64 { return slices.Grow(s[:0], n)[:n] }
	sc.col, sc.z, sc.buf = grow(sc.col, n), grow(sc.z, n), grow(sc.buf, anomaly.SelectScratch(n))
	col, z := sc.col, sc.z
	_, crit := a.outlierLevel(cells)
	var l findingList
	for _, ind := range inds {
		// col[k] is the figure of ind in recs[k] (per unit of a.per), NaN
		// when absent or without a size: figures are finite or NaN, and a
		// finite figure divided by a size above 0 is not NaN.
		figures := 0
		for k, id := range recs {
			vals := a.store.vals(id)
			x := vals[ind.Index]
			if a.per != nil {
				if size := vals[a.per.Index]; math.IsNaN(size) || size <= 0 {
					x = math.NaN()
				} else {
					x /= size
				}
			}
			col[k] = x
			figures += b2i(x == x)
		}
		if a.per == nil && a.sizeAware(ind.Index) {
			s := sz()
			g.medians[ind.Index] = math.Exp(s.logMed[ind.Index]) // each call writes its own indicators
			a.sizeOutliers(&l, period, recs, col, ind, s, crit, cells, sc)
			continue
		}
		if figures < a.opts.MinPeers {
			continue
		}
		// The MAD is floored at 1 % of the median: when nearly every unit
		// reports a rate at its bound (巩固率 99.9 %), a tenth of a point is
		// no outlier. A record without the figure has no score (NaN).
		med, mad := anomaly.ModifiedZInto(z, col, 0.01)
		g.medians[ind.Index] = med
		if ind.Type != rules.Percent && a.per == nil && math.Abs(med) < 10 {
			// Small counts (a few schools) move by whole units: one more
			// is a large z but no anomaly.
			continue
		}
		if mad == 0 {
			continue // most units report the same figure: no spread to compare with
		}
		over := 0
		for _, s := range z {
			if math.Abs(s) > crit { // false for NaN
				over++
			}
		}
		if over == 0 {
			continue
		}
		l.grow(over)
		why := &outlierWhy{unit: ind.Unit, peers: figures, median: med}
		nvals := 1
		if a.per != nil {
			why.per, nvals = a.per.Name, 2
		}
		head := outlierHead(period, ind, "修正z分数", round(crit, 2), nvals, why)
		for k, s := range z {
			if !(math.Abs(s) > crit) {
				continue
			}
			r := a.store.rec(recs[k])
			f := Finding{Kind: KindOutlier, Unit: a.unitOf(r), Value: math.Round(s*100) / 100,
				P: min(1, anomaly.NormalTwoSided(s)*float64(cells)), vals: [4]float64{a.vals(r)[ind.Index]}, h: head}
			if a.per != nil {
				f.vals[1] = col[k]
			}
			l.addOutlier(f)
		}
	}
	return l.lists()
}

func direction(z float64) string {
	if z < 0 {
		return "低于"
	}
	return "高于"
}

// minSizeSpread is the least spread, in log, of a count's figures about
// what units of their size report: honest units differ from that by more
// than a few per cent, and with few count indicators the estimate of a
// unit's size follows one of them, which makes the residuals' MAD
// smaller than their spread (a form of 11 indicators gave |z| up to 6 on
// clean units at a floor of 1 %).
const minSizeSpread = 0.05

// sizeOutliers finds the figures col of a count indicator that stray from
// what units of their size report: the robust z-score of the residual
// log x − log median − the unit's log size.
func (a *Auditor) sizeOutliers(l *findingList, period string, recs []int32, col []float64, ind *rules.Indicator, sz sizes, crit float64, cells int, sc *outlierScratch) {
	lm := sz.logMed[ind.Index]
	if math.IsNaN(lm) {
		return // too few units, or a small count
	}
	z := sc.z[:len(col)]
	scored := anomaly.SizeResidualZ(z, col, sz.scale, sz.size, lm, minSizeSpread, sc.buf)
	if scored < a.opts.MinPeers {
		return
	}
	over := 0
	for _, s := range z {
		if math.Abs(s) > crit { // false for NaN
			over++
		}
	}
	l.grow(over)
	med, threshold := math.Exp(lm), round(crit, 2)
	head := outlierHead(period, ind, "按规模校正的稳健z分数", threshold, 2, &outlierWhy{unit: ind.Unit, peers: scored, median: med, bySize: true})
	for k, s := range z {
		if math.IsNaN(s) || math.Abs(s) <= crit {
			continue
		}
		size := sz.size[k] // exp(scale), as periodSizes computed it
		expected := med * size
		l.addOutlier(Finding{
			Kind: KindOutlier, Unit: a.unitOf(a.store.rec(recs[k])), Value: math.Round(s*100) / 100, P: min(1, anomaly.NormalTwoSided(s)*float64(cells)),
			vals: [4]float64{col[k], round(expected, 1), round(size, 2), math.Round(expected)}, h: head,
		})
	}
}

// duplicates finds the units of a period that copied each other: pairs
// whose equal figures are too many, and too unlikely, to agree by
// chance. Candidates come from anomaly.Duplicates (no comparison of every
// pair); each is then weighed by the chance that honest units agree on
// those figures (anomaly.MatchChance, from each indicator's distribution
// in the period), and reported when that chance is below level, the
// batch's Alpha shared among all the pairs of units compared. pairsPerUnit
// is how many pairs a unit is in over the batch, for a finding's P.
func (a *Auditor) duplicates(period string, recs []int32, level float64, pairsPerUnit int) [][]Finding {
	vecs := a.peerVals(recs)
	// A figure is evidence when two units share it if it is at least 10.
	pairs := anomaly.Duplicates(len(recs), vecs, anomaly.DuplicateOptions{MinAbs: 10, MinSame: a.opts.MinSame, MaxDiffer: a.opts.MaxDiffer})
	if len(pairs) == 0 {
		return nil
	}
	// How many units report each figure the pairs share, in one pass over
	// the period per indicator concerned: shared[j] lists the values of
	// indicator j some pair shares (few: a slice, not a map).
	width := a.store.n
	shared := make([][]sharedValue, width)
	for _, p := range pairs {
		va, vb := vecs(p.A), vecs(p.B)
		for j := range width {
			if x := va[j]; x == vb[j] && !slices.ContainsFunc(shared[j], func(s sharedValue) bool { return s.x == x }) {
				shared[j] = append(shared[j], sharedValue{x: x})
			}
		}
	}
	var inds []int
	for j, sv := range shared {
		if sv != nil {
			inds = append(inds, j)
		}
	}
	reporting := make([]int, width)
	for _, id := range recs {
		v := a.store.vals(id)
		for _, j := range inds {
			x := v[j]
			if math.IsNaN(x) {
				continue
			}
			reporting[j]++
			for k := range shared[j] {
				if shared[j][k].x == x {
					shared[j][k].units++
				}
			}
		}
	}
	units := func(j int, x float64) int {
		for _, s := range shared[j] {
			if s.x == x {
				return s.units
			}
		}
		return 0
	}
	logLevel := math.Log10(level)
	var l findingList
	l.grow(len(pairs))
	var chances []float64
	for _, p := range pairs {
		va, vb := vecs(p.A), vecs(p.B)
		chances = chances[:0]
		differ := 0
		for j := range width {
			x, y := va[j], vb[j]
			switch {
			case math.IsNaN(x) || math.IsNaN(y):
			case x == y:
				chances = append(chances, anomaly.MatchChance(units(j, x)-2, reporting[j]-2, x))
			default:
				differ++
			}
		}
		lp := anomaly.CopyP(chances, differ)
		if lp >= logLevel {
			continue
		}
		first, second := a.store.rec(recs[p.A]), a.store.rec(recs[p.B])
		if a.unitOf(second) < a.unitOf(first) {
			first, second = second, first
		}
		t := append(append(append(l.text.buf, "「"...), a.unitOf(second)...), "」与「"...)
		t = append(append(append(append(t, a.unitOf(first)...), "」"...), period...), "期"...)
		t = append(appendInt(t, len(chances)), "项指标数值相同("...)
		if differ > 0 {
			t = append(appendInt(append(t, "仅"...), differ), "项不同"...)
		} else {
			t = append(t, "完全相同"...)
		}
		t = appendPow10(append(t, "),按各指标在同期各单位中的分布,诚实填报偶然如此相同的概率约为"...), lp)
		t = append(appendPow10(append(t, ",低于全批配对的检验水平"...), logLevel), ",疑似照抄"...)
		l.add(findingMembers{
			Kind: KindDuplicate, Severity: "warning", Unit: a.unitOf(second), Peer: a.unitOf(first), Period: period,
			Values: []float64{float64(len(chances)), float64(differ)}, Statistic: "偶然相同概率的常用对数",
			Value: round(lp, 2), Threshold: round(logLevel, 2), P: min(1, math.Pow(10, lp)*float64(pairsPerUnit)),
		}, t)
	}
	return l.lists()
}

// sharedValue is a figure two units share and how many units report it.
type sharedValue struct {
	x     float64
	units int
}

// unitValues appends to vals a unit's figures over all its periods (its
// records, in period order) for the digit tests, those of the indicators
// digitInds. A figure reported unchanged in several periods counts once:
// it is one observation, and counting it twice would inflate the
// statistics.
func (a *Auditor) unitValues(vals []float64, periods []*record, digitInds []int) []float64 {
	for k, r := range periods {
	next:
		for _, i := range digitInds {
			x := a.vals(r)[i]
			if math.IsNaN(x) {
				continue
			}
			for _, earlier := range periods[:k] {
				if a.vals(earlier)[i] == x {
					continue next
				}
			}
			vals = append(vals, x)
		}
	}
	return vals
}

// unitDigitCounts appends a unit's figures for the digit tests to vals
// (see unitValues) and counts their leading digits.
func (a *Auditor) unitDigitCounts(vals []float64, periods []*record, inds []int) ([]float64, anomaly.DigitCounts) {
	vals = a.unitValues(vals, periods, inds)
	var c anomaly.DigitCounts
	for _, v := range vals {
		c.Add(v)
	}
	return vals, c
}

// digitInds lists the indicators of the digit tests: not percentages, not
// small counts.
func (a *Auditor) digitInds() []int {
	var inds []int
	for i, ind := range a.form.Indicators {
		if ind.Type != rules.Percent && !a.small[i] {
			inds = append(inds, i)
		}
	}
	return inds
}

var conformityNames = map[string]string{
	anomaly.Close: "高度符合", anomaly.Acceptable: "可接受地符合", anomaly.Marginal: "勉强符合",
	anomaly.Nonconformity: "不符合", anomaly.TooFew: "数据太少,无法判断", anomaly.NotApplicable: "不适用",
}

// benfordFinding adds to l the finding of a digit test r that failed on a
// unit, or on AllUnits.
func benfordFinding(l *findingList, kind, unit string, r anomaly.BenfordResult, alpha, phi float64) {
	test := "首位数字"
	if r.Digits == 2 {
		test = "前两位数字"
	}
	t := l.text.buf
	if unit != AllUnits {
		t = append(append(append(t, "「"...), unit...), "」"...)
	} else {
		t = append(t, "全部数据"...)
	}
	t = append(appendInt(t, r.N), "个不小于10的非百分比数字的"...)
	t = append(append(t, test...), "分布与本福特定律不符:MAD="...)
	t = appendFV(append(appendFV(t, round(r.MAD, 5)), ",超过"...), r.Threshold)
	t = append(append(append(t, "("...), conformityNames[r.Conformity]...), ");卡方="...)
	t = appendInt(append(appendFV(t, round(r.ChiSquare, 2)), "(自由度"...), r.DF)
	t = append(t, ","...)
	if phi > 1 {
		t = append(appendFV(append(t, "按全批各单位的离散度"...), round(phi, 2)), "校正后"...)
	}
	t = appendG2(append(appendG2(append(t, "p="...), r.P), ",低于"...), alpha)
	t = append(t, ")"...)
	l.add(findingMembers{
		Kind: kind, Severity: "warning", Unit: unit, Values: []float64{float64(r.N), r.ChiSquare, r.P},
		Statistic: "MAD", Value: round(r.MAD, 5), Threshold: r.Threshold, P: r.P,
	}, t)
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// smallCounts marks the indicators whose median over the batch is below
// 10: their few figures of 10 or more are the tail of small counts, nearly
// all starting with 1, and cannot follow Benford's law.
func (a *Auditor) smallCounts() []bool {
	n := make([]int, len(a.form.Indicators))
	below := make([]int, len(a.form.Indicators))
	for _, r := range a.records() {
		for i, x := range a.vals(r)[:len(n)] {
			if !math.IsNaN(x) {
				n[i]++
				if math.Abs(x) < 10 {
					below[i]++
				}
			}
		}
	}
	small := make([]bool, len(a.form.Indicators))
	for i := range small {
		small[i] = 2*below[i] >= n[i]
	}
	return small
}

// benfordSample bounds the figures per indicator from which its spread
// is estimated.
const benfordSample = 1024

// benford runs the batch-wide digit tests on the figures of the
// indicators inds whose figures span orders of magnitude (see
// anomaly.Spread): the others' leading digits are set by the indicator's
// level, not by chance. When none does, or too few figures are left, both
// results say so in their Reason. It also returns the number of
// indicators tested and left out.
func (a *Auditor) benford(inds []int) (out [][]Finding, results []anomaly.BenfordResult, tested, narrow int) {
	// The spread of each indicator, from evenly spaced records.
	step := max(1, a.rowCount()/benfordSample)
	var wide []int
	var xs, buf []float64
	for _, i := range inds {
		xs = xs[:0]
		for k := 0; k < a.rowCount(); k += step {
			if x := a.vals(a.rec(k))[i]; math.Abs(x) >= 10 {
				xs = append(xs, x)
			}
		}
		if anomaly.Spread(xs, buf) >= anomaly.MinSpread {
			wide = append(wide, i)
		}
	}
	var all anomaly.DigitCounts
	for _, r := range a.records() {
		for _, i := range wide {
			if x := a.vals(r)[i]; !math.IsNaN(x) {
				all.Add(x)
			}
		}
	}
	first := all.Test(1, a.opts.MinBenford)
	two := all.Test(2, a.opts.MinBenford2)
	tested, narrow = len(wide), len(inds)-len(wide)
	for _, r := range []*anomaly.BenfordResult{&first, &two} {
		switch {
		case len(wide) == 0:
			r.Conformity = anomaly.NotApplicable
			r.Reason = fmt.Sprintf("不适用:%d项指标中没有一项的数值(中间90%%)跨越至少%s个数量级;数值集中时首位数字由指标本身的量级决定,不能据此判断真伪",
				len(inds), fv(anomaly.MinSpread))
		case r.Conformity == anomaly.TooFew:
			r.Reason = fmt.Sprintf("不适用:数值跨越至少%s个数量级的%d项指标只有%d个不小于10的数字,至少需要%d个",
				fv(anomaly.MinSpread), len(wide), r.N, r.MinCount)
		}
	}
	var l findingList
	if first.Fails(a.opts.Alpha) {
		benfordFinding(&l, KindBenford1, AllUnits, first, a.opts.Alpha, 1)
	}
	if two.Fails(a.opts.Alpha) {
		benfordFinding(&l, KindBenford2, AllUnits, two, a.opts.Alpha, 1)
	}
	return l.lists(), []anomaly.BenfordResult{first, two}, tested, narrow
}

// zeroTails counts, per indicator, the trailing zeros of the figures of
// the units that report no hierarchy total: the batch's baseline for the
// rounding test. Percentages are left out (nil).
func (a *Auditor) zeroTails(totals map[string]bool) []*anomaly.ZeroTails {
	zt := make([]*anomaly.ZeroTails, len(a.form.Indicators))
	for i, ind := range a.form.Indicators {
		if ind.Type != rules.Percent {
			zt[i] = new(anomaly.ZeroTails)
		}
	}
	for _, r := range a.records() {
		if len(totals) > 0 && totals[a.unitOf(r)] { // no name looked up without totals
			continue
		}
		for i, z := range zt {
			if z == nil {
				continue
			}
			if t, d := anomaly.TrailingZeros(a.vals(r)[i]); d > 0 {
				z.Add(t)
			}
		}
	}
	return zt
}

// rounding tests a unit's figures, those of its records periods in
// period order, for rounding by magnitude: each figure of at least 10
// scores by its trailing zeros against the chance of as many under honest
// reporting (10^−t, or the share among the batch's other units when the
// indicator is commonly round), combined over the unit's figures (a
// figure repeated unchanged counts once). Under minRounding figures it
// is not run (P 1).
func (a *Auditor) rounding(periods []*record, base []*anomaly.ZeroTails, sc *roundScratch) anomaly.RoundingResult {
	own := sc.own[:0]
	for range base {
		own = append(own, anomaly.ZeroTails{})
	}
	sc.own, sc.figs = own, sc.figs[:0]
	// One pass over the unit's figures: its own tails (which the
	// baseline leaves out) and the figures scored.
	for k, r := range periods {
	next:
		for i, z := range base {
			if z == nil {
				continue
			}
			x := a.vals(r)[i]
			t, d := anomaly.TrailingZeros(x)
			if d == 0 {
				continue
			}
			own[i].Add(t)
			for _, earlier := range periods[:k] {
				if a.vals(earlier)[i] == x {
					continue next
				}
			}
			sc.figs = append(sc.figs, scoredFigure{i, t, d})
		}
	}
	if len(sc.figs) < minRounding {
		return anomaly.RoundingResult{N: len(sc.figs), P: 1} // too few to test
	}
	sc.t, sc.d, sc.tails, sc.flat = sc.t[:0], sc.d[:0], sc.tails[:0], sc.flat[:0]
	for _, f := range sc.figs {
		sc.t, sc.d = append(sc.t, f.t), append(sc.d, f.d)
	}
	if !anomaly.MaybeRounded(sc.t, sc.d) {
		return anomaly.RoundingResult{N: len(sc.figs), P: 1}
	}
	sc.t = sc.t[:0]
	for _, f := range sc.figs {
		for k := 0; k < min(f.d, anomaly.MaxZeros+1); k++ {
			tl := base[f.ind].Tail(&own[f.ind], k, f.d)
			if k > 0 {
				tl = min(tl, sc.flat[len(sc.flat)-1]) // at least k+1 zeros is rarer than k
			}
			sc.flat = append(sc.flat, tl)
		}
		sc.t = append(sc.t, min(f.t, f.d-1))
	}
	// The tails are cut from flat once it no longer grows.
	start := 0
	for _, f := range sc.figs {
		n := min(f.d, anomaly.MaxZeros+1)
		sc.tails = append(sc.tails, sc.flat[start:start+n:start+n])
		start += n
	}
	return anomaly.Rounding(sc.t, sc.tails)
}

// scoredFigure is a figure of the rounding test: its indicator, trailing
// zeros and digits.
type scoredFigure struct{ ind, t, d int }

// dispersionSample bounds the units from which digitDispersion estimates
// the overdispersion.
const dispersionSample = 2000

// digitDispersion estimates how much more the leading digits of a unit's
// figures stray from Benford's law than independent draws would, from up
// to dispersionSample evenly spaced units (see anomaly.Dispersion). A
// unit's figures all grow with its size, so its digits shift together:
// on a batch of 40 clean districts whose sizes span 40×, the largest gave
// p = 5e-7 against Benford's law. The per-unit tests divide their
// chi-squares by it.
func (a *Auditor) digitDispersion(units []*unitRows, inds []int, totals map[string]bool) [2]float64 {
	step := max(1, len(units)/dispersionSample)
	var chi1, chi2, vals []float64
	var periods []*record
	for k := 0; k < len(units); k += step {
		u := units[k]
		if totals[a.unitName(u)] {
			continue
		}
		var c anomaly.DigitCounts
		periods = a.periodsOf(u, periods[:0])
		vals, c = a.unitDigitCounts(vals[:0], periods, inds)
		if c.N >= a.opts.MinUnitBenford {
			chi1 = append(chi1, c.Test(1, a.opts.MinUnitBenford).ChiSquare)
			chi2 = append(chi2, c.Test(2, 1).ChiSquare)
		}
	}
	return [2]float64{anomaly.Dispersion(chi1, 8), anomaly.Dispersion(chi2, 89)}
}

// minRounding is the least number of whole figures of at least 10 a unit
// needs for the rounding test.
const minRounding = 5

// unitStats count what the per-unit tests were run on, for the report's
// applicability of the tests.
type unitStats struct {
	benfordTested, benfordFew, benfordNarrow atomic.Int64
	roundTested, roundFew                    atomic.Int64
}

// roundScratch is the memory of the rounding tests of a chunk of units.
type roundScratch struct {
	own   []anomaly.ZeroTails
	figs  []scoredFigure
	t, d  []int
	tails [][]float64
	flat  []float64
}

// unitAlpha is the level of the per-unit digit tests: UnitAlpha, or Alpha
// shared among the units tested when that is stricter. Without the
// correction a batch of 50,000 clean units gave dozens of findings: a
// unit's figures are not independent draws (a large district has more of
// everything), so its ~100 leading digits stray from Benford's law more
// often than the test's level says.
func (a *Auditor) unitAlpha(totals map[string]bool) float64 {
	n := a.unitCount()
	for t := range totals {
		if a.unitNamed(t) != nil {
			n--
		}
	}
	return min(a.opts.UnitAlpha, a.opts.Alpha/float64(max(n, 1)))
}

// unitDigits runs the per-unit digit tests, Benford's law and round
// numbers, at level alpha, on the figures of the indicators inds of each
// unit. Hierarchy totals are left out: their figures are sums of the
// parts' (which the hierarchy check compares), not figures anyone typed.
func (a *Auditor) unitDigits(units []*unitRows, inds []int, base []*anomaly.ZeroTails, phi [2]float64, totals map[string]bool, alpha float64, st *unitStats) [][]Finding {
	var l findingList
	var vals, buf []float64
	var rsc roundScratch
	var periods []*record
	// The counts are added to st once, at the end: an atomic add per unit
	// on a counter the other workers add to costs more than the test of a
	// unit of a few figures.
	var benfordTested, benfordFew, benfordNarrow, roundTested, roundFew int64
	defer func() {
		st.benfordTested.Add(benfordTested)
		st.benfordFew.Add(benfordFew)
		st.benfordNarrow.Add(benfordNarrow)
		st.roundTested.Add(roundTested)
		st.roundFew.Add(roundFew)
	}()
	// A unit with fewer figures than either digit test needs fails
	// neither: its figures are not collected.
	minDigits := min(a.opts.MinUnitBenford, a.opts.MinBenford2)
	for _, u := range units {
		// The name is looked up for a finding, or to tell a total.
		if len(totals) > 0 && totals[a.unitName(u)] {
			continue
		}
		periods = a.periodsOf(u, periods[:0])
		if len(periods)*len(inds) < minDigits {
			benfordFew++
		} else {
			var c anomaly.DigitCounts
			vals, c = a.unitDigitCounts(vals[:0], periods, inds)
			if c.N < a.opts.MinUnitBenford {
				benfordFew++
			} else {
				benfordTested++
			}
			// Nigrini's conditions are checked only where the digits stray:
			// sorting every unit's figures would cost more than the test.
			fails1, fails2 := c.FailsDispersed(1, a.opts.MinUnitBenford, alpha, phi[0]), c.FailsDispersed(2, a.opts.MinBenford2, alpha, phi[1])
			if (fails1 || fails2) && anomaly.Spread(vals, buf) < anomaly.MinSpread {
				benfordNarrow++
				fails1, fails2 = false, false
			}
			if fails1 {
				benfordFinding(&l, KindBenford1, a.unitName(u), c.TestDispersed(1, a.opts.MinUnitBenford, phi[0]), alpha, phi[0])
			}
			if fails2 {
				benfordFinding(&l, KindBenford2, a.unitName(u), c.TestDispersed(2, a.opts.MinBenford2, phi[1]), alpha, phi[1])
			}
		}
		rr := a.rounding(periods, base, &rsc)
		if rr.N < minRounding {
			roundFew++
			continue
		}
		roundTested++
		if rr.P >= alpha {
			continue
		}
		name := a.unitName(u)
		t := append(append(append(l.text.buf, "「"...), name...), "」"...)
		t = appendInt(append(appendInt(t, rr.N), "个不小于10的整数共有"...), rr.Zeros)
		t = appendFV(append(t, "个结尾的0,诚实填报预期约"...), round(rr.Expected, 1))
		t = appendG2(append(t, "个(按位数及全批其他单位同一指标的情况);偶然如此的概率不超过"...), rr.P)
		t = append(appendG2(append(t, ",低于"...), alpha), ",疑似按整数估填"...)
		l.add(findingMembers{
			Kind: KindLastDigit, Severity: "warning", Unit: name, Values: []float64{float64(rr.N), float64(rr.Zeros), round(rr.Expected, 2)},
			Statistic: "凑整检验p值(上界)", Value: rr.P, Threshold: alpha, P: rr.P,
		}, t)
	}
	return l.lists()
}

// sized reports whether counts are compared with units of their size:
// only without --per, and when the form has counts (sizeAware).
func (a *Auditor) sized() bool {
	return a.per == nil && slices.ContainsFunc(a.form.Indicators, func(ind *rules.Indicator) bool { return a.sizeAware(ind.Index) })
}

// sizeAware reports whether indicator i is a count compared with units of
// the same size: not a rate, a per-capita figure or a difference, which
// are compared as they are.
func (a *Auditor) sizeAware(i int) bool {
	ind := a.form.Indicators[i]
	if ind.Type == rules.Percent || strings.Contains(ind.Unit, "/") || strings.Contains(ind.Unit, "百分点") {
		return false
	}
	for _, w := range []string{"均", "率", "比", "每"} {
		if strings.Contains(ind.Name, w) {
			return false
		}
	}
	return ind.Min == nil || *ind.Min >= 0
}
