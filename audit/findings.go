package audit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

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

func (a *Auditor) findings() ([]Finding, []anomaly.BenfordResult) {
	var out []Finding
	a.small = a.smallCounts()
	periods, groups := a.byPeriod()
	totals := a.totals()
	for _, p := range periods {
		recs := groups[p]
		out = append(out, a.batchRules(p, recs)...)
		out = append(out, a.hierarchies(p, recs, totals)...)
		var peers []*record
		for _, r := range recs {
			if !totals[r.unit] {
				peers = append(peers, r)
			}
		}
		out = append(out, a.outliers(p, peers)...)
		out = append(out, a.duplicates(p, peers)...)
	}
	out = append(out, a.jumps()...)
	bf, global := a.benford()
	out = append(out, bf...)
	out = append(out, a.lastDigits()...)
	kindOrder := map[string]int{KindHierarchy: 0, KindBatchRule: 1, KindBatchError: 2, KindJump: 3, KindDuplicate: 4,
		KindOutlier: 5, KindLastDigit: 6, KindBenford1: 7, KindBenford2: 8}
	slices.SortStableFunc(out, func(x, y Finding) int {
		return cmp.Or(cmp.Compare(kindOrder[x.Kind], kindOrder[y.Kind]), cmp.Compare(x.Unit, y.Unit),
			cmp.Compare(x.Period, y.Period), cmp.Compare(x.Check, y.Check), cmp.Compare(x.Indicator, y.Indicator))
	})
	return out, global
}

func (a *Auditor) batchRules(period string, recs []*record) []Finding {
	if len(a.form.BatchRules) == 0 {
		return nil
	}
	used := map[int]bool{}
	for _, r := range a.form.BatchRules {
		for _, ind := range r.Uses {
			used[ind.Index] = true
		}
	}
	rows := make([]any, len(recs))
	for i, r := range recs {
		m := make(map[string]any, len(used)+2)
		m["unit"], m["period"] = r.unit, r.period
		for idx := range used {
			if x := r.vals[idx]; !math.IsNaN(x) {
				m[a.form.Indicators[idx].ID] = x
			}
		}
		rows[i] = m
	}
	env := rules.BatchEnv(period, rows)
	var machine vm.VM
	var out []Finding
	run := func(p *vm.Program) (bool, error) {
		v, err := machine.Run(p, env)
		if err != nil {
			return false, err
		}
		b, ok := v.(bool)
		if !ok {
			return false, fmt.Errorf("expression returned %T, not a boolean", v)
		}
		return b, nil
	}
	for _, r := range a.form.BatchRules {
		if r.WhenProgram != nil {
			ok, err := run(r.WhenProgram)
			if err != nil || !ok {
				if err != nil {
					out = append(out, batchError(r, period, err))
				}
				continue
			}
		}
		ok, err := run(r.Program)
		switch {
		case err != nil:
			out = append(out, batchError(r, period, err))
		case !ok:
			f := Finding{Kind: KindBatchRule, Check: r.ID, Severity: r.Severity.String(), Unit: AllUnits, Period: period,
				Statistic: "规则", Reason: r.Name + ":" + r.Message.Execute(&machine, env)}
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

func (a *Auditor) hierarchies(period string, recs []*record, totals map[string]bool) []Finding {
	var out []Finding
	byUnit := make(map[string]*record, len(recs))
	for _, r := range recs {
		byUnit[r.unit] = r
	}
	for _, h := range a.form.Hierarchies {
		total := byUnit[h.Total]
		if total == nil {
			continue
		}
		var parts []*record
		if len(h.Parts) > 0 {
			for _, name := range h.Parts {
				if r := byUnit[name]; r != nil {
					parts = append(parts, r)
				}
			}
		} else {
			for _, r := range recs {
				if !totals[r.unit] {
					parts = append(parts, r)
				}
			}
		}
		if len(parts) == 0 {
			continue
		}
		for _, ind := range h.Indicators {
			t := total.vals[ind.Index]
			if math.IsNaN(t) {
				continue
			}
			var sum float64
			n := 0
			for _, r := range parts {
				if x := r.vals[ind.Index]; !math.IsNaN(x) {
					sum += x
					n++
				}
			}
			diff := t - sum
			tol := max(h.Tolerance, h.TolerancePercent/100*math.Abs(t))
			if math.Abs(diff) <= tol+1e-9 {
				continue
			}
			out = append(out, Finding{
				Kind: KindHierarchy, Check: h.ID, Severity: h.Severity.String(), Unit: h.Total, Period: period,
				Indicator: ind.ID, Name: ind.Name, Values: []float64{t, sum}, Statistic: "差额(合计−分项之和)",
				Value: diff, Threshold: tol,
				Reason: fmt.Sprintf("「%s」%s填报%s%s,%d个下属单位合计%s%s,相差%s%s,超出允许误差%s",
					ind.Name, h.Total, fv(t), ind.Unit, n, fv(sum), ind.Unit, fv(diff), ind.Unit, fv(tol)),
			})
		}
	}
	return out
}

func (a *Auditor) jumps() []Finding {
	var out []Finding
	for _, u := range a.units {
		for i := 1; i < len(u.periods); i++ {
			prev, cur := u.periods[i-1], u.periods[i]
			for _, j := range a.form.Jumps {
				for _, ind := range j.Indicators {
					x0, x1 := prev.vals[ind.Index], cur.vals[ind.Index]
					if math.IsNaN(x0) || math.IsNaN(x1) || max(math.Abs(x0), math.Abs(x1)) < j.MinValue {
						continue
					}
					f := Finding{Kind: KindJump, Check: j.ID, Severity: j.Severity.String(), Unit: u.name, Period: cur.period,
						Indicator: ind.ID, Name: ind.Name, Values: []float64{x0, x1}}
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
					out = append(out, f)
				}
			}
		}
	}
	return out
}

func (a *Auditor) outliers(period string, recs []*record) []Finding {
	if len(recs) < a.opts.MinPeers {
		return nil
	}
	var out []Finding
	xs := make([]float64, 0, len(recs))
	who := make([]*record, 0, len(recs))
	for _, ind := range a.form.Indicators {
		if a.per != nil && ind.Index == a.per.Index {
			continue
		}
		xs, who = xs[:0], who[:0]
		for _, r := range recs {
			x := r.vals[ind.Index]
			if math.IsNaN(x) {
				continue
			}
			if a.per != nil {
				size := r.vals[a.per.Index]
				if math.IsNaN(size) || size <= 0 {
					continue
				}
				x /= size
			}
			xs, who = append(xs, x), append(who, r)
		}
		if len(xs) < a.opts.MinPeers {
			continue
		}
		// The MAD is floored at 1 % of the median: when nearly every unit
		// reports a rate at its bound (巩固率 99.9 %), a tenth of a point is
		// no outlier.
		z, med, mad := anomaly.ModifiedZ(xs, 0.01)
		if ind.Type != rules.Percent && a.per == nil && math.Abs(med) < 10 {
			// Small counts (a few schools) move by whole units: one more
			// is a large z but no anomaly.
			continue
		}
		if mad == 0 {
			continue // most units report the same figure: no spread to compare with
		}
		for i, s := range z {
			if math.Abs(s) <= a.opts.OutlierZ {
				continue
			}
			r := who[i]
			what := fmt.Sprintf("「%s」为%s%s", ind.Name, fv(r.vals[ind.Index]), ind.Unit)
			vals := []float64{r.vals[ind.Index]}
			if a.per != nil {
				what += fmt.Sprintf(",按「%s」折算为每单位%s", a.per.Name, fv(xs[i]))
				vals = append(vals, xs[i])
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

// nonTrivial reports whether a figure is evidence when two units share it.
func nonTrivial(x float64) bool { return !math.IsNaN(x) && math.Abs(x) >= 10 }

func (a *Auditor) duplicates(period string, recs []*record) []Finding {
	vecs := make([][]float64, len(recs))
	for i, r := range recs {
		vecs[i] = r.vals
	}
	pairs := anomaly.Duplicates(vecs, anomaly.DuplicateOptions{
		Trivial: func(_ int, x float64) bool { return !nonTrivial(x) },
		MinSame: a.opts.MinSame, MaxDiffer: a.opts.MaxDiffer,
	})
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

// unitValues lists a unit's figures over all its periods for the digit
// tests. A figure reported unchanged in several periods counts once: it is
// one observation, and counting it twice would inflate the statistics.
func (a *Auditor) unitValues(u *unitRows) []float64 {
	var vals []float64
	for k, r := range u.periods {
	next:
		for i, x := range r.vals {
			if math.IsNaN(x) || a.form.Indicators[i].Type == rules.Percent || a.small[i] {
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

func (a *Auditor) sortedUnits() []*unitRows {
	us := make([]*unitRows, 0, len(a.units))
	for _, u := range a.units {
		us = append(us, u)
	}
	slices.SortFunc(us, func(x, y *unitRows) int { return strings.Compare(x.name, y.name) })
	return us
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
		Reason: fmt.Sprintf("%s%d个不小于10的非百分比数字的%s分布与本福特定律不符:MAD=%s,超过%s(%s);卡方=%s(自由度%d,p=%.2g,低于%g)",
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
	small := make([]bool, len(a.form.Indicators))
	for i := range a.form.Indicators {
		n, below := 0, 0
		for _, r := range a.recs {
			if x := r.vals[i]; !math.IsNaN(x) {
				n++
				if math.Abs(x) < 10 {
					below++
				}
			}
		}
		small[i] = 2*below >= n
	}
	return small
}

func (a *Auditor) benford() ([]Finding, []anomaly.BenfordResult) {
	var all anomaly.DigitCounts
	for _, r := range a.recs {
		for i, x := range r.vals {
			if !math.IsNaN(x) && a.form.Indicators[i].Type != rules.Percent && !a.small[i] {
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
	for _, u := range a.sortedUnits() {
		vals := a.unitValues(u)
		if r := anomaly.Benford(vals, 1, a.opts.MinUnitBenford); r.Fails(a.opts.UnitAlpha) {
			out = append(out, benfordFinding(KindBenford1, u.name, r, a.opts.UnitAlpha))
		}
		if r := anomaly.Benford(vals, 2, a.opts.MinBenford2); r.Fails(a.opts.UnitAlpha) {
			out = append(out, benfordFinding(KindBenford2, u.name, r, a.opts.UnitAlpha))
		}
	}
	return out, []anomaly.BenfordResult{first, two}
}

// minLastDigits is the least number of integer figures of at least 10 a
// unit needs for the round-number test.
const minLastDigits = 30

func (a *Auditor) lastDigits() []Finding {
	var out []Finding
	crit := anomaly.CriticalZ(a.opts.UnitAlpha)
	for _, u := range a.sortedUnits() {
		r := anomaly.LastDigits(a.unitValues(u))
		if r.N < minLastDigits || r.Z <= crit {
			continue
		}
		out = append(out, Finding{
			Kind: KindLastDigit, Severity: "warning", Unit: u.name, Values: []float64{float64(r.Round), float64(r.N)},
			Statistic: "z", Value: round(r.Z, 2), Threshold: round(crit, 2),
			Reason: fmt.Sprintf("「%s」%d个不小于10的整数中有%d个以0或5结尾(%.0f%%,随机应约20%%),z=%s,超过%s,疑似按整数估填",
				u.name, r.N, r.Round, r.Share*100, fv(round(r.Z, 2)), fv(round(crit, 2))),
		})
	}
	return out
}
