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

	"github.com/expr-lang/expr/vm"
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

// Finding is one thing the batch checks or the anomaly tests found.
type Finding struct {
	Kind string `json:"kind"`
	// Check is the id of the batch rule, hierarchy or jump check; empty
	// for the anomaly tests.
	Check    string `json:"check,omitempty"`
	Severity string `json:"severity"`
	// Unit is the unit concerned, or "all".
	Unit   string `json:"unit"`
	Period string `json:"period,omitempty"`
	// Peer is the other unit of a duplicate.
	Peer string `json:"peer,omitempty"`
	// Indicator is an indicator id; empty when the finding is about many.
	Indicator string    `json:"indicator,omitempty"`
	Name      string    `json:"indicator_name,omitempty"`
	Values    []float64 `json:"values,omitempty"`
	// Statistic names the measure; Value is its value and Threshold the
	// bound it crossed.
	Statistic string  `json:"statistic"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// Reason says in plain Chinese what was found.
	Reason string `json:"reason"`
}

func fv(x float64) string { return rules.FormatValue(x) }

// byPeriod groups the records of each period, in period order.
func (a *Auditor) byPeriod() ([]string, map[string][]*record) {
	m := map[string][]*record{}
	for _, r := range a.recs {
		m[r.period] = append(m[r.period], r)
	}
	periods := make([]string, 0, len(m))
	for p := range m {
		periods = append(periods, p)
	}
	slices.Sort(periods)
	return periods, m
}

// totals are the units that report a hierarchy total; they are left out of
// peer comparisons.
func (a *Auditor) totals() map[string]bool {
	t := map[string]bool{}
	for _, h := range a.form.Hierarchies {
		t[h.Total] = true
	}
	return t
}

// periodRows are the records of one period.
type periodRows struct {
	period string
	recs   []*record
	// peers are the records of the units that report no hierarchy total,
	// in the order of recs; vecs their figures.
	peers []*record
	vecs  [][]float64
}

// periodRows groups the records by period, in period order.
func (a *Auditor) periodRows(totals map[string]bool) []*periodRows {
	m := map[string]*periodRows{}
	var out []*periodRows
	var g *periodRows
	for _, r := range a.recs {
		if g == nil || g.period != r.period {
			if g = m[r.period]; g == nil {
				g = &periodRows{period: r.period}
				m[r.period] = g
				out = append(out, g)
			}
		}
		g.recs = append(g.recs, r)
		if !totals[r.unit] {
			g.peers, g.vecs = append(g.peers, r), append(g.vecs, r.vals)
		}
	}
	slices.SortFunc(out, func(x, y *periodRows) int { return strings.Compare(x.period, y.period) })
	return out
}

// inputUnits lists the units in the input order of their earliest
// period's record, which is close to the order of their records in memory.
func (a *Auditor) inputUnits() []*unitRows {
	us := make([]*unitRows, 0, len(a.units))
	for _, r := range a.recs {
		if u := a.units[r.unit]; u.periods[0] == r {
			us = append(us, u)
		}
	}
	return us
}

// findings runs the batch checks and the anomaly tests. The parts are
// independent and run on up to Options.Workers goroutines. Their findings
// are sorted on a key that no two different findings share, so that the
// result does not depend on the order in which the parts finish.
func (a *Auditor) findings() ([]Finding, []anomaly.BenfordResult) {
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
		tasks  []func() []Finding
		global []anomaly.BenfordResult
	)
	add := func(f func() []Finding) { tasks = append(tasks, f) }
	units := sync.OnceValue(a.inputUnits)
	alpha := a.unitAlpha(totals)
	chunks := a.opts.Workers * 2
	chunk := func(k int) []*unitRows {
		us := units()
		return us[k*len(us)/chunks : (k+1)*len(us)/chunks]
	}
	// The longest parts first, the shortest last, to balance the workers.
	add(func() []Finding {
		units() // for the tasks below
		var bf []Finding
		bf, global = a.benford(digitInds())
		return bf
	})
	for _, g := range groups {
		add(func() []Finding { return a.duplicates(g.period, g.peers, g.vecs) })
		add(func() []Finding { return a.batchRules(g.period, g.recs) })
		if len(g.peers) >= a.opts.MinPeers {
			for lo := 0; lo < len(inds); lo += outlierBlock {
				block := inds[lo:min(lo+outlierBlock, len(inds))]
				add(func() []Finding { return a.outliers(g.period, g.peers, g.vecs, block) })
			}
		}
	}
	for k := range chunks {
		add(func() []Finding { return a.unitDigits(chunk(k), digitInds(), totals, alpha) })
	}
	for _, g := range groups {
		add(func() []Finding { return a.hierarchies(g) })
	}
	for k := range chunks {
		add(func() []Finding { return a.jumps(chunk(k)) })
	}
	results := runTasks(tasks, a.opts.Workers)
	var out []Finding
	for _, r := range results {
		out = append(out, r...)
	}
	// Kind, unit, period and check or indicator tell findings apart, but
	// for the duplicates of a unit with several others.
	kindOrder := map[string]int{KindHierarchy: 0, KindBatchRule: 1, KindBatchError: 2, KindJump: 3, KindDuplicate: 4,
		KindOutlier: 5, KindLastDigit: 6, KindBenford1: 7, KindBenford2: 8}
	slices.SortStableFunc(out, func(x, y Finding) int {
		return cmp.Or(cmp.Compare(kindOrder[x.Kind], kindOrder[y.Kind]), cmp.Compare(x.Unit, y.Unit),
			cmp.Compare(x.Period, y.Period), cmp.Compare(x.Check, y.Check), cmp.Compare(x.Indicator, y.Indicator),
			cmp.Compare(x.Peer, y.Peer))
	})
	return out, global
}

// runTasks runs the tasks on up to workers goroutines and returns their
// results in the order of the tasks. A panic in a task is raised again in
// the caller, where a server's recovery can see it.
func runTasks(tasks []func() []Finding, workers int) [][]Finding {
	results := make([][]Finding, len(tasks))
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

func (a *Auditor) batchRules(period string, recs []*record) []Finding {
	if len(a.form.BatchRules) == 0 {
		return nil
	}
	var used []int
	for _, r := range a.form.BatchRules {
		for _, ind := range r.Uses {
			if !slices.Contains(used, ind.Index) {
				used = append(used, ind.Index)
			}
		}
	}
	slices.Sort(used) // the figures of a row in form order
	periodValue := any(period)
	rows := make([]any, len(recs))
	for i, r := range recs {
		m := make(map[string]any, len(used)+2)
		m["unit"], m["period"] = r.unit, periodValue
		for _, idx := range used {
			if x := r.vals[idx]; !math.IsNaN(x) {
				m[a.form.Indicators[idx].ID] = x
			}
		}
		rows[i] = m
	}
	env := rules.BatchEnv(period, rows)
	var machine vm.VM
	ev := &rules.Evaluation{VM: &machine, Env: func() map[string]any { return env }}
	var out []Finding
	for _, r := range a.form.BatchRules {
		if r.WhenCond != nil {
			ok, err := r.WhenCond.Eval(ev)
			if err != nil || !ok {
				if err != nil {
					out = append(out, batchError(r, period, err))
				}
				continue
			}
		}
		ok, err := r.Cond.Eval(ev)
		switch {
		case err != nil:
			out = append(out, batchError(r, period, err))
		case !ok:
			f := Finding{Kind: KindBatchRule, Check: r.ID, Severity: r.Severity.String(), Unit: AllUnits, Period: period,
				Statistic: "规则", Reason: r.Name + ":" + r.Message.Render(ev)}
			if len(r.Uses) == 1 {
				f.Indicator, f.Name = r.Uses[0].ID, r.Uses[0].Name
			}
			out = append(out, f)
		}
	}
	return out
}

func batchError(r *rules.Rule, period string, err error) Finding {
	return Finding{Kind: KindBatchError, Check: r.ID, Severity: rules.SevInfo.String(), Unit: AllUnits, Period: period,
		Statistic: "规则", Reason: fmt.Sprintf("批量规则「%s」无法计算:%v", r.Name, err)}
}

// unitRecord is the record of a unit in a period, or nil.
func (a *Auditor) unitRecord(unit, period string) *record {
	if u := a.units[unit]; u != nil {
		return u.find(period)
	}
	return nil
}

func (a *Auditor) hierarchies(g *periodRows) []Finding {
	var out []Finding
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
					parts = append(parts, r)
				}
			}
		}
		if len(parts) == 0 {
			continue
		}
		// The sums of the parts, in one pass over them.
		sums := make([]float64, len(h.Indicators))
		counts := make([]int, len(h.Indicators))
		for _, r := range parts {
			for j, ind := range h.Indicators {
				if x := r.vals[ind.Index]; !math.IsNaN(x) {
					sums[j] += x
					counts[j]++
				}
			}
		}
		for j, ind := range h.Indicators {
			t := total.vals[ind.Index]
			if math.IsNaN(t) {
				continue
			}
			sum, n := sums[j], counts[j]
			diff := t - sum
			tol := max(h.Tolerance, h.TolerancePercent/100*math.Abs(t))
			if math.Abs(diff) <= tol+1e-9 {
				continue
			}
			out = append(out, Finding{
				Kind: KindHierarchy, Check: h.ID, Severity: h.Severity.String(), Unit: h.Total, Period: g.period,
				Indicator: ind.ID, Name: ind.Name, Values: []float64{t, sum}, Statistic: "差额(合计−分项之和)",
				Value: diff, Threshold: tol,
				Reason: fmt.Sprintf("「%s」%s填报%s%s,%d个下属单位合计%s%s,相差%s%s,超出允许误差%s",
					ind.Name, h.Total, fv(t), ind.Unit, n, fv(sum), ind.Unit, fv(diff), ind.Unit, fv(tol)),
			})
		}
	}
	return out
}

func (a *Auditor) jumps(units []*unitRows) []Finding {
	var out []Finding
	for _, u := range units {
		for i := 1; i < len(u.periods); i++ {
			prev, cur := u.periods[i-1], u.periods[i]
			for _, j := range a.form.Jumps {
				for _, ind := range j.Indicators {
					x0, x1 := prev.vals[ind.Index], cur.vals[ind.Index]
					if math.IsNaN(x0) || math.IsNaN(x1) || max(math.Abs(x0), math.Abs(x1)) < j.MinValue {
						continue
					}
					var f Finding
					d := x1 - x0
					switch {
					case j.MaxPoints > 0 && math.Abs(d) > j.MaxPoints:
						f.Statistic, f.Value, f.Threshold = "变化量", d, j.MaxPoints
						f.Reason = fmt.Sprintf("「%s」由%s的%s%s变为%s,变化%s%s,超过%s", ind.Name, prev.period, fv(x0), ind.Unit, fv(x1), fv(d), ind.Unit, fv(j.MaxPoints))
					case j.MaxChange > 0 && x0 == 0 && x1 != 0:
						f.Statistic, f.Value, f.Threshold = "变化率(%)", math.Inf(1), j.MaxChange
						f.Reason = fmt.Sprintf("「%s」由%s的0变为%s%s", ind.Name, prev.period, fv(x1), ind.Unit)
					case j.MaxChange > 0 && x0 != 0 && math.Abs(d/x0*100) > j.MaxChange:
						pct := d / math.Abs(x0) * 100
						f.Statistic, f.Value, f.Threshold = "变化率(%)", pct, j.MaxChange
						f.Reason = fmt.Sprintf("「%s」由%s的%s%s变为%s%s,变化%s%%,超过±%s%%", ind.Name, prev.period, fv(x0), ind.Unit, fv(x1), ind.Unit, fv(math.Round(pct*10)/10), fv(j.MaxChange))
					default:
						continue
					}
					if math.IsInf(f.Value, 0) {
						f.Value = 0 // JSON has no infinity; the reason says it
					}
					f.Kind, f.Check, f.Severity, f.Unit, f.Period = KindJump, j.ID, j.Severity.String(), u.name, cur.period
					f.Indicator, f.Name, f.Values = ind.ID, ind.Name, []float64{x0, x1}
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// outlierBlock is how many indicators one outliers call compares. Their
// figures are gathered in one pass over the records: records are scattered
// in memory, and reading a record's figures in a row costs little more
// than reading one.
const outlierBlock = 49

// outlierScratch is the memory of an outliers call, kept for the next.
type outlierScratch struct {
	cols, xs, z []float64
}

var outlierPool = sync.Pool{New: func() any { return new(outlierScratch) }}

// outliers finds the peer outliers of the indicators inds among recs, whose
// figures are vecs.
func (a *Auditor) outliers(period string, recs []*record, vecs [][]float64, inds []*rules.Indicator) []Finding {
	if len(recs) < a.opts.MinPeers {
		return nil
	}
	sc := outlierPool.Get().(*outlierScratch)
	defer outlierPool.Put(sc)
	n := len(recs)
	grow := func(s []float64, n int) []float64 { return slices.Grow(s[:0], n)[:n] }
	sc.cols, sc.xs, sc.z = grow(sc.cols, len(inds)*n), grow(sc.xs, n), grow(sc.z, n)
	// cols[j*n+k] is the figure of inds[j] in recs[k] (per unit of a.per),
	// NaN when absent or without a size: figures are finite or NaN, and a
	// finite figure divided by a size above 0 is not NaN.
	cols := sc.cols
	for k, vals := range vecs {
		size := 1.0
		if a.per != nil {
			if size = vals[a.per.Index]; math.IsNaN(size) || size <= 0 {
				size = math.NaN()
			}
		}
		for j, ind := range inds {
			x := vals[ind.Index]
			if a.per != nil {
				x /= size
			}
			cols[j*n+k] = x
		}
	}
	var out []Finding
	for j, ind := range inds {
		col := cols[j*n : (j+1)*n]
		xs, z := sc.xs[:0], sc.z
		for _, x := range col {
			if !math.IsNaN(x) {
				xs = append(xs, x)
			}
		}
		if len(xs) < a.opts.MinPeers {
			continue
		}
		// The MAD is floored at 1 % of the median: when nearly every unit
		// reports a rate at its bound (巩固率 99.9 %), a tenth of a point is
		// no outlier.
		med, mad := anomaly.ModifiedZInto(z, xs, 0.01)
		if ind.Type != rules.Percent && a.per == nil && math.Abs(med) < 10 {
			// Small counts (a few schools) move by whole units: one more
			// is a large z but no anomaly.
			continue
		}
		if mad == 0 {
			continue // most units report the same figure: no spread to compare with
		}
		z = z[:len(xs)]
		if !slices.ContainsFunc(z, func(s float64) bool { return math.Abs(s) > a.opts.OutlierZ }) {
			continue
		}
		// The i-th figure of xs is that of the i-th record with one.
		i := -1
		for k, x := range col {
			if math.IsNaN(x) {
				continue
			}
			i++
			s := z[i]
			if math.Abs(s) <= a.opts.OutlierZ {
				continue
			}
			r := recs[k]
			what := fmt.Sprintf("「%s」为%s%s", ind.Name, fv(r.vals[ind.Index]), ind.Unit)
			vals := []float64{r.vals[ind.Index]}
			if a.per != nil {
				what += fmt.Sprintf(",按「%s」折算为每单位%s", a.per.Name, fv(x))
				vals = append(vals, x)
			}
			dir := "高于"
			if s < 0 {
				dir = "低于"
			}
			out = append(out, Finding{
				Kind: KindOutlier, Severity: "warning", Unit: r.unit, Period: period, Indicator: ind.ID, Name: ind.Name,
				Values: vals, Statistic: "修正z分数", Value: math.Round(s*100) / 100, Threshold: a.opts.OutlierZ,
				Reason: fmt.Sprintf("%s,同期%d个单位的中位数为%s,修正z分数%s,明显%s同类单位", what, len(xs), fv(med), fv(math.Round(s*100)/100), dir),
			})
		}
	}
	return out
}

func (a *Auditor) duplicates(period string, recs []*record, vecs [][]float64) []Finding {
	// A figure is evidence when two units share it if it is at least 10.
	pairs := anomaly.Duplicates(vecs, anomaly.DuplicateOptions{MinAbs: 10, MinSame: a.opts.MinSame, MaxDiffer: a.opts.MaxDiffer})
	out := make([]Finding, 0, len(pairs))
	for _, p := range pairs {
		first, second := recs[p.A], recs[p.B]
		if second.unit < first.unit {
			first, second = second, first
		}
		kind := "完全相同"
		if p.Differ > 0 {
			kind = fmt.Sprintf("几乎相同(仅%d项不同)", p.Differ)
		}
		out = append(out, Finding{
			Kind: KindDuplicate, Severity: "warning", Unit: second.unit, Peer: first.unit, Period: period,
			Values: []float64{float64(p.Same), float64(p.Differ)}, Statistic: "相同的非平凡指标数",
			Value: float64(p.Same), Threshold: float64(a.opts.MinSame),
			Reason: fmt.Sprintf("「%s」与「%s」%s期有%d项不小于10的指标数值一一相同,%s,疑似照抄", second.unit, first.unit, period, p.Same, kind),
		})
	}
	return out
}

// unitValues appends to vals a unit's figures over all its periods for the
// digit tests, those of the indicators digitInds. A figure reported
// unchanged in several periods counts once: it is one observation, and
// counting it twice would inflate the statistics.
func unitValues(vals []float64, u *unitRows, digitInds []int) []float64 {
	for k, r := range u.periods {
	next:
		for _, i := range digitInds {
			x := r.vals[i]
			if math.IsNaN(x) {
				continue
			}
			for _, earlier := range u.periods[:k] {
				if earlier.vals[i] == x {
					continue next
				}
			}
			vals = append(vals, x)
		}
	}
	return vals
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
	anomaly.Nonconformity: "不符合", anomaly.TooFew: "数据太少,无法判断",
}

func benfordFinding(kind, unit string, r anomaly.BenfordResult, alpha float64) Finding {
	test := "首位数字"
	if r.Digits == 2 {
		test = "前两位数字"
	}
	who := "全部数据"
	if unit != AllUnits {
		who = "「" + unit + "」"
	}
	return Finding{
		Kind: kind, Severity: "warning", Unit: unit, Values: []float64{float64(r.N), r.ChiSquare, r.P},
		Statistic: "MAD", Value: round(r.MAD, 5), Threshold: r.Threshold,
		Reason: fmt.Sprintf("%s%d个不小于10的非百分比数字的%s分布与本福特定律不符:MAD=%s,超过%s(%s);卡方=%s(自由度%d,p=%.2g,低于%.2g)",
			who, r.N, test, fv(round(r.MAD, 5)), fv(r.Threshold), conformityNames[r.Conformity], fv(round(r.ChiSquare, 2)), r.DF, r.P, alpha),
	}
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
	for _, r := range a.recs {
		for i, x := range r.vals[:len(n)] {
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

// benford runs the batch-wide digit tests.
func (a *Auditor) benford(inds []int) ([]Finding, []anomaly.BenfordResult) {
	var all anomaly.DigitCounts
	for _, r := range a.recs {
		for _, i := range inds {
			if x := r.vals[i]; !math.IsNaN(x) {
				all.Add(x)
			}
		}
	}
	first := all.Test(1, a.opts.MinBenford)
	two := all.Test(2, a.opts.MinBenford2)
	var out []Finding
	if first.Fails(a.opts.Alpha) {
		out = append(out, benfordFinding(KindBenford1, AllUnits, first, a.opts.Alpha))
	}
	if two.Fails(a.opts.Alpha) {
		out = append(out, benfordFinding(KindBenford2, AllUnits, two, a.opts.Alpha))
	}
	return out, []anomaly.BenfordResult{first, two}
}

// minLastDigits is the least number of integer figures of at least 10 a
// unit needs for the round-number test.
const minLastDigits = 30

// unitAlpha is the level of the per-unit digit tests: UnitAlpha, or Alpha
// shared among the units tested when that is stricter. Without the
// correction a batch of 50,000 clean units gave dozens of findings: a
// unit's figures are not independent draws (a large district has more of
// everything), so its ~100 leading digits stray from Benford's law more
// often than the test's level says.
func (a *Auditor) unitAlpha(totals map[string]bool) float64 {
	n := len(a.units)
	for t := range totals {
		if a.units[t] != nil {
			n--
		}
	}
	return min(a.opts.UnitAlpha, a.opts.Alpha/float64(max(n, 1)))
}

// unitDigits runs the per-unit digit tests, Benford's law and round
// numbers, at level alpha, on the figures of the indicators inds of each
// unit. Hierarchy totals are left out: their figures are sums of the
// parts' (which the hierarchy check compares), not figures anyone typed.
func (a *Auditor) unitDigits(units []*unitRows, inds []int, totals map[string]bool, alpha float64) []Finding {
	var bf, last []Finding
	crit := anomaly.CriticalZ(alpha)
	var vals []float64
	for _, u := range units {
		if totals[u.name] {
			continue
		}
		vals = unitValues(vals[:0], u, inds)
		var c anomaly.DigitCounts
		for _, v := range vals {
			c.Add(v)
		}
		if c.Fails(1, a.opts.MinUnitBenford, alpha) {
			bf = append(bf, benfordFinding(KindBenford1, u.name, c.Test(1, a.opts.MinUnitBenford), alpha))
		}
		if c.Fails(2, a.opts.MinBenford2, alpha) {
			bf = append(bf, benfordFinding(KindBenford2, u.name, c.Test(2, a.opts.MinBenford2), alpha))
		}
		// The exact p-value decides; the z-score, which the normal
		// approximation compares with crit, is what the report shows.
		r := anomaly.LastDigits(vals)
		if r.N < minLastDigits || r.Z <= crit || r.P >= alpha {
			continue
		}
		last = append(last, Finding{
			Kind: KindLastDigit, Severity: "warning", Unit: u.name, Values: []float64{float64(r.Round), float64(r.N), r.P},
			Statistic: "z", Value: round(r.Z, 2), Threshold: round(crit, 2),
			Reason: fmt.Sprintf("「%s」%d个不小于10的整数中有%d个以0或5结尾(%.0f%%,随机应约20%%),z=%s,超过%s;二项检验p=%.2g,低于%.2g,疑似按整数估填",
				u.name, r.N, r.Round, r.Share*100, fv(round(r.Z, 2)), fv(round(crit, 2)), r.P, alpha),
		})
	}
	return append(bf, last...)
}
