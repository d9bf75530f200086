package audit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Case is the case file (问题线索) of one unit: every finding about it,
// grouped by cell, with the strength of the evidence combined. The report
// lists cases first, most deserving of a look first, then the findings
// they were made from.
//
// JSON shape (Report.Cases), stable: fields may be added, none renamed:
//
//	{"rank":1, "unit":"抄件区", "severity":"warning", "significant":true,
//	 "certain":false, "p":1e-40, "q":4e-39, "score":39.4,
//	 "tests":["duplicate","peer_outlier"], "findings":3,
//	 "row_errors":0, "row_warnings":0,
//	 "summary":"与「原件区」2025H1期96项数值相同……",
//	 "items":[{"period":"2025H1", "indicator":"gold_medals",
//	   "indicator_name":"金牌数", "value":90, "peer_median":9,
//	   "expected":8.5, "previous":8, "previous_period":"2024H2",
//	   "p":1e-12, "reasons":[{"kind":"peer_outlier", "severity":"warning",
//	     "statistic":"稳健z分数", "value":12.3, "threshold":5.3, "p":1e-12,
//	     "finding":17, "reason":"……"}, {"kind":"jump", …}]}]}
type Case struct {
	// Rank is the case's place in the report, from 1.
	Rank int    `json:"rank"`
	Unit string `json:"unit"`
	// Severity is the highest severity among the case's findings
	// ("error", "warning", "info").
	Severity string `json:"severity"`
	// Significant says the case stands after the false alarms of the
	// whole batch are controlled: Q at most Options.FDR, or Certain.
	Significant bool `json:"significant"`
	// Certain says a rule, not a statistic, was broken (a wrong total, a
	// jump beyond the form's bound, a batch rule): no chance explains it.
	Certain bool `json:"certain"`
	// P is the unit's combined p-value: the chance that a unit with honest
	// figures shows statistical evidence at least this strong in any of
	// the tests run on it (Bonferroni over the tests; 1 when only rules
	// were broken). Q is P adjusted by Benjamini–Hochberg over all the
	// units tested.
	P float64 `json:"p"`
	Q float64 `json:"q"`
	// Score is −log10 P capped at 300: the strength of the statistical
	// evidence, by which cases of the same severity are ranked.
	Score float64 `json:"score"`
	// Tests are the kinds of the case's findings, in the order of
	// Report.Findings' kinds.
	Tests []string `json:"tests"`
	// Findings is how many findings (detail lines) the case groups.
	Findings int `json:"findings"`
	// RowErrors and RowWarnings count the unit's violations of the row
	// rules (listed in Report.Rows), for context.
	RowErrors   int `json:"row_errors"`
	RowWarnings int `json:"row_warnings"`
	// Summary is one line in plain Chinese saying what the case is about.
	Summary string `json:"summary"`
	// Items are the evidence, strongest first: one per cell (period and
	// indicator) with every test that flagged it, then one per finding
	// about the unit as a whole (a copy, its rounding, its digits).
	Items []Evidence `json:"items"`
}

// Evidence is one item of a case: a cell, or the unit as a whole, and the
// reasons it was flagged.
type Evidence struct {
	// Period and Indicator name the cell; either is empty for evidence
	// about a unit's period or its figures as a whole.
	Period    string `json:"period,omitempty"`
	Indicator string `json:"indicator,omitempty"`
	Name      string `json:"indicator_name,omitempty"`
	// Peer is the other unit of a copy.
	Peer string `json:"peer,omitempty"`
	// Value is the unit's figure; PeerMedian the median of the other units
	// of the period; Expected what units of the unit's size report (the
	// median scaled to the unit's size, for counts); Previous the unit's
	// figure of PreviousPeriod. Absent when not known or not a cell.
	Value          *float64 `json:"value,omitempty"`
	PeerMedian     *float64 `json:"peer_median,omitempty"`
	Expected       *float64 `json:"expected,omitempty"`
	Previous       *float64 `json:"previous,omitempty"`
	PreviousPeriod string   `json:"previous_period,omitempty"`
	// P is the smallest p-value of the item's reasons (0 for a broken
	// rule).
	P       float64  `json:"p"`
	Reasons []Reason `json:"reasons"`
}

// Reason is one test's finding about an evidence item.
type Reason struct {
	Kind      string  `json:"kind"`
	Check     string  `json:"check,omitempty"`
	Severity  string  `json:"severity"`
	Statistic string  `json:"statistic"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// P is the finding's p-value (0 for a broken rule).
	P float64 `json:"p"`
	// Finding is the index of the finding in Report.Findings.
	Finding int `json:"finding"`
	// Text is the finding's reason in plain Chinese.
	Text string `json:"reason"`
}

// TestStatus says whether a statistical test applied to the batch, and
// what it tested: a test that does not apply reports "不适用" with the
// reason instead of a verdict.
type TestStatus struct {
	// Kind is the finding kind of the test (KindBenford1, KindOutlier …).
	Kind string `json:"kind"`
	// Scope is "batch" for a test of the whole batch, "unit" for one run
	// on each unit, "period" for one run on each period's units.
	Scope string `json:"scope"`
	// Applicable is false when the test could not be run at all.
	Applicable bool `json:"applicable"`
	// Tested is how many units (or, for the batch-wide tests, figures) the
	// test was run on; Skipped how many it could not be run on.
	Tested  int `json:"tested"`
	Skipped int `json:"skipped"`
	// Level is the p-value below which the test makes a finding.
	Level float64 `json:"level"`
	// Reason says in plain Chinese what was tested, or why the test does
	// not apply ("不适用：……").
	Reason string `json:"reason"`
}

// statistical are the kinds of findings made by a statistical test, whose
// P is a p-value; the others are rules broken.
var statistical = map[string]bool{KindOutlier: true, KindLastDigit: true, KindDuplicate: true, KindBenford1: true, KindBenford2: true}

// minP is the smallest p-value a report gives: one that underflowed (a
// figure ten times too large has p ≈ 10⁻⁴⁴⁰) is written as this.
const minP = 1e-300

// statFamilies is how many statistical tests are run on a unit: the
// Bonferroni factor of a case's combined P.
const statFamilies = 5

// caseCells gives what an evidence item shows beside a cell's figure.
type caseCells interface {
	// cell returns the unit's figure of an indicator in a period, the
	// peers' median, the figure expected for the unit's size and the
	// previous period's figure with its period; NaN when unknown.
	cell(unit, period string, ind int) (value, median, expected, prev float64, prevPeriod string)
	// rowCounts returns the unit's row errors and warnings.
	rowCounts(unit string) (errors, warnings int)
}

var severityRank = map[string]int{"error": 3, "warning": 2, "info": 1}

// buildCases groups the findings by unit into case files and ranks them.
// tested is the number of units the statistical tests were run on, the
// count of Benjamini–Hochberg; fdr its level. A copy is evidence against
// both units. indIndex maps an indicator id to its index.
func buildCases(findings []Finding, tested int, fdr float64, cells caseCells, indIndex func(string) (int, bool)) []Case {
	byUnit := map[string]*Case{}
	var order []string
	keyed := map[string]map[string]int{} // unit -> cell key -> item index
	add := func(unit, peer string, i int, f *Finding) {
		c := byUnit[unit]
		if c == nil {
			c = &Case{Unit: unit, P: 1, Severity: f.Severity}
			byUnit[unit] = c
			keyed[unit] = map[string]int{}
			order = append(order, unit)
			c.RowErrors, c.RowWarnings = cells.rowCounts(unit)
		}
		c.Findings++
		if !slices.Contains(c.Tests, f.Kind) {
			c.Tests = append(c.Tests, f.Kind)
		}
		if severityRank[f.Severity] > severityRank[c.Severity] {
			c.Severity = f.Severity
		}
		p := 0.0
		if statistical[f.Kind] {
			p = f.P
			c.P = min(c.P, f.P)
		} else {
			c.Certain = true
		}
		r := Reason{Kind: f.Kind, Check: f.Check, Severity: f.Severity, Statistic: f.Statistic, Value: f.Value,
			Threshold: f.Threshold, P: p, Finding: i, Text: f.Reason}
		// One item per cell: the same figure flagged by two tests is
		// shown once, with both reasons.
		key := ""
		if f.Indicator != "" && f.Period != "" && peer == "" {
			key = f.Period + "\x00" + f.Indicator
			if k, ok := keyed[unit][key]; ok {
				it := &c.Items[k]
				it.Reasons = append(it.Reasons, r)
				it.P = min(it.P, p)
				return
			}
		}
		it := Evidence{Period: f.Period, Indicator: f.Indicator, Name: f.Name, Peer: peer, P: p, Reasons: []Reason{r}}
		if key != "" {
			if idx, ok := indIndex(f.Indicator); ok {
				v, med, exp, prev, pp := cells.cell(unit, f.Period, idx)
				it.Value, it.PeerMedian, it.Expected, it.Previous = num(v), num(med), num(exp), num(prev)
				if it.Previous != nil {
					it.PreviousPeriod = pp
				}
			}
			keyed[unit][key] = len(c.Items)
		}
		c.Items = append(c.Items, it)
	}
	for i := range findings {
		f := &findings[i]
		if f.Unit == AllUnits {
			continue
		}
		add(f.Unit, f.Peer, i, f)
		if f.Kind == KindDuplicate && f.Peer != "" {
			add(f.Peer, f.Unit, i, f)
		}
	}
	cases := make([]Case, 0, len(order))
	for _, u := range order {
		c := byUnit[u]
		if c.P > minP { // else it underflowed: it stays the smallest written
			c.P = min(1, c.P*statFamilies)
		}
		c.Score = math.Min(300, -math.Log10(max(c.P, minP)))
		slices.SortStableFunc(c.Items, func(x, y Evidence) int {
			return cmp.Or(cmp.Compare(x.P, y.P), cmp.Compare(x.Period, y.Period), cmp.Compare(x.Indicator, y.Indicator))
		})
		cases = append(cases, *c)
	}
	benjaminiHochberg(cases, max(tested, len(cases)))
	for i := range cases {
		c := &cases[i]
		c.Significant = c.Certain || c.Q <= fdr
		c.Summary = caseSummary(c)
	}
	slices.SortFunc(cases, func(x, y Case) int {
		return cmp.Or(-cmp.Compare(b2i(x.Significant), b2i(y.Significant)),
			-cmp.Compare(severityRank[x.Severity], severityRank[y.Severity]),
			-cmp.Compare(x.Score, y.Score), -cmp.Compare(b2i(x.Certain), b2i(y.Certain)),
			-cmp.Compare(len(x.Items), len(y.Items)), cmp.Compare(x.Unit, y.Unit))
	})
	for i := range cases {
		cases[i].Rank = i + 1
	}
	return cases
}

// benjaminiHochberg sets each case's Q: its P adjusted for the m units
// tested (the units without a case have P = 1 and do not change the
// adjusted values of those with one).
func benjaminiHochberg(cases []Case, m int) {
	idx := make([]int, len(cases))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(cases[x].P, cases[y].P) })
	q := 1.0
	for k := len(idx) - 1; k >= 0; k-- {
		c := &cases[idx[k]]
		q = min(q, c.P*float64(m)/float64(k+1))
		c.Q = q
	}
}

func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// caseSummary says in one line what a case holds.
func caseSummary(c *Case) string {
	counts := map[string]int{}
	for _, it := range c.Items {
		seen := map[string]bool{}
		for _, r := range it.Reasons {
			if !seen[r.Kind] {
				seen[r.Kind] = true
				counts[r.Kind]++
			}
		}
	}
	parts := make([]string, 0, len(c.Tests))
	for _, k := range c.Tests {
		parts = append(parts, fmt.Sprintf("%s%d项", KindNames[k], counts[k]))
	}
	var b strings.Builder
	b.WriteString(strings.Join(parts, "、"))
	switch {
	case c.Certain && c.P < 1:
		fmt.Fprintf(&b, ";违反审核规则;统计证据综合p%s", pText(c.P))
	case c.Certain:
		b.WriteString(";违反审核规则")
	default:
		fmt.Fprintf(&b, ";统计证据综合p%s,经全批多重检验校正q%s", pText(c.P), pText(c.Q))
	}
	if !c.Significant {
		b.WriteString(",证据不足")
	}
	return b.String()
}

// pText writes "=p", or "<1e-300" for the smallest.
func pText(p float64) string {
	if p <= minP {
		return "<1e-300"
	}
	return fmt.Sprintf("=%.2g", p)
}
