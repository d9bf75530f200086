package audit

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Case is the case file (问题线索) of one unit: every finding about it,
// grouped by cell, with the strength of the evidence combined. The report
// lists cases first, most deserving of a look first, then the findings
// they were made from.
//
// JSON shape (Report.Cases, as WriteJSON writes it from the case and the
// report's items and findings), stable: fields may be added, none
// renamed:
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
	Unit string `json:"unit"`
	// P is the unit's combined p-value: the chance that a unit with honest
	// figures shows statistical evidence at least this strong in any of
	// the tests run on it (Bonferroni over the tests; 1 when only rules
	// were broken). Q is P adjusted by Benjamini–Hochberg over all the
	// units tested.
	P float64 `json:"p"`
	Q float64 `json:"q"`
	// Findings is how many findings (detail lines) the case groups.
	Findings int32 `json:"findings"`
	// RowErrors and RowWarnings count the unit's violations of the row
	// rules (listed in Report.Rows), for context.
	RowErrors   int32 `json:"row_errors"`
	RowWarnings int32 `json:"row_warnings"`
	// items and nItems are where the case's evidence items are in the
	// report's (Report.Items).
	items, nItems int32
	// tests are the kinds of the case's findings (Tests), a bit each, and
	// from bit sevShift the severityRank of Severity: one field, for a
	// Case of 56 bytes, not 64.
	tests kindSet
	// Significant says the case stands after the false alarms of the
	// whole batch are controlled: Q at most Options.FDR, or Certain.
	Significant bool `json:"significant"`
	// Certain says a rule, not a statistic, was broken (a wrong total, a
	// jump beyond the form's bound, a batch rule): no chance explains it.
	Certain bool `json:"certain"`
	// The "rank" of the JSON report is the case's place in Report.Cases,
	// from 1; its "score" is Score, its "summary" Report.CaseSummary, its
	// "items" Report.Items. A Case is kept small: a batch may have
	// hundreds of thousands.
}

// Severity is the highest severity among the case's findings ("error",
// "warning", "info").
func (c *Case) Severity() string { return severityText[c.tests>>sevShift] }

// Score is −log10 P capped at 300: the strength of the statistical
// evidence, by which cases of the same severity are ranked.
func (c *Case) Score() float64 { return math.Min(300, -math.Log10(max(c.P, minP))) }

// kindSet is a set of finding kinds, bit kindOrder(kind) each.
type kindSet uint16

// sevShift is the bit of a Case's tests from which they hold the case's
// severityRank (the kinds take the bits below).
const sevShift = 14

// kindLists are the lists of the kinds of each kindSet, in kindOrder.
var kindLists = func() (l [1 << 9][]string) {
	byOrder := slices.SortedFunc(slices.Values(Kinds), func(x, y string) int { return cmp.Compare(kindOrder(x), kindOrder(y)) })
	for s := range l {
		for i, k := range byOrder {
			if s&(1<<i) != 0 {
				l[s] = append(l[s], k)
			}
		}
	}
	return l
}()

// Tests are the kinds of the case's findings, in the order of
// Report.Findings' kinds (a list shared by the cases of the same kinds,
// not to be changed).
func (c *Case) Tests() []string { return kindLists[c.tests&(1<<sevShift-1)] }

// Evidence is one item of a case: a cell, or the unit as a whole, and the
// reasons it was flagged (Report.Reasons). What its first reason's finding
// says (the cell, the other unit of a copy) it does not repeat:
// Report.ItemCell gives it. The case's encoder writes it as
//
//	{"period":…, "indicator":…, "indicator_name":…, "peer":…,
//	 "value":…, "peer_median":…, "expected":…, "previous":…,
//	 "previous_period":…, "p":…, "reasons":[Reason…]}
//
// each member before "p" left out when empty or NaN; "previous_period" is
// Report.PreviousPeriod, "p" the smallest p-value of the item's reasons
// (0 for a broken rule).
type Evidence struct {
	// Value is the unit's figure; PeerMedian the median of the other units
	// of the period; Expected what units of the unit's size report (the
	// median scaled to the unit's size, for counts); Previous the unit's
	// figure of the previous period. NaN when not known or not a cell.
	Value, PeerMedian, Expected, Previous float64
	// reasons is where the item's reasons start in the report's; they end
	// where the next item's start.
	reasons int32
	// prev is the index of the period of Previous in the report's
	// periods, -1 for none.
	prev int32
}

// caseParts is what the case files of a report share: the evidence items
// of every case, each case's in a run; the reasons of every item, in the
// order of the items; and the periods an item's previous period indexes.
// The cases hold places in them, not slices, for they are many.
type caseParts struct {
	items   []Evidence
	reasons []int32
	periods []string
}

// Items are the evidence items of case c, strongest first: one per cell
// (period and indicator) with every test that flagged it, then one per
// finding about the unit as a whole (a copy, its rounding, its digits).
func (r *Report) Items(c *Case) []Evidence { return r.caseParts.caseItems(c) }

func (p *caseParts) caseItems(c *Case) []Evidence {
	return p.items[c.items : c.items+c.nItems : c.items+c.nItems]
}

// Reasons are the indices in Report.Findings of the findings that flagged
// the item i of case c (r.Items(c)[i]), the first of them the item's
// first; each is written as a Reason (Report.Reason).
func (r *Report) Reasons(c *Case, i int) []int32 { return r.caseParts.itemReasons(int(c.items) + i) }

// itemReasons are the reasons of items[k].
func (p *caseParts) itemReasons(k int) []int32 {
	end := int32(len(p.reasons))
	if k+1 < len(p.items) {
		end = p.items[k+1].reasons
	}
	return p.reasons[p.items[k].reasons:end:end]
}

// PreviousPeriod is the period of an item's Previous, "" when not known.
func (r *Report) PreviousPeriod(it *Evidence) string { return r.caseParts.previousPeriod(it) }

func (p *caseParts) previousPeriod(it *Evidence) string {
	if it.prev < 0 {
		return ""
	}
	return p.periods[it.prev]
}

// itemP is the p-value of an item of the given reasons: the smallest of
// theirs.
func itemP(findings []Finding, reasons []int32) float64 {
	p := math.Inf(1)
	for _, f := range reasons {
		p = min(p, reasonP(&findings[f]))
	}
	return p
}

// ItemCell returns what the evidence item i of case c is about, from its
// first finding: the cell's period and indicator with its name (either
// empty for evidence about a unit's period or its figures as a whole),
// and the other unit of a copy.
func (r *Report) ItemCell(c *Case, i int) (period, indicator, name, peer string) {
	return itemCell(r.Findings, c.Unit, r.Reasons(c, i))
}

// itemCell is ItemCell of an item of the given reasons, in the case of
// unit.
func itemCell(findings []Finding, unit string, reasons []int32) (period, indicator, name, peer string) {
	if len(reasons) == 0 {
		return "", "", "", ""
	}
	f := &findings[reasons[0]]
	peer = f.Peer()
	if f.Unit != unit { // the case is the peer's
		peer = f.Unit
	}
	return f.Period(), f.Indicator(), f.Name(), peer
}

// Reason is one test's finding about an evidence item, as the JSON
// report writes it: the members of the finding Report.Findings[Finding]
// that an item's reasons show. An Evidence holds only the index; the
// writers render the rest from the finding (Report.Reason).
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

// Reason is the reason the finding Findings[i] gives an evidence item
// (one of Report.Reasons).
func (r *Report) Reason(i int32) Reason {
	f := &r.Findings[i]
	return Reason{Kind: f.Kind, Check: f.Check(), Severity: f.Severity(), Statistic: f.Statistic(), Value: f.Value,
		Threshold: f.Threshold(), P: reasonP(f), Finding: int(i), Text: f.ReasonText()}
}

// reasonP is the p-value a finding gives as a reason: 0 for a broken
// rule.
func reasonP(f *Finding) float64 {
	if statistical(f.Kind) {
		return f.P
	}
	return 0
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

// statistical reports whether a kind of finding is made by a statistical
// test, whose P is a p-value; the others are rules broken.
func statistical(kind string) bool {
	switch kind {
	case KindOutlier, KindLastDigit, KindDuplicate, KindBenford1, KindBenford2:
		return true
	}
	return false
}

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
	// previous period's figure with its period, an index of the periods
	// of buildCases; NaN (-1) when unknown.
	cell(unit, period string, ind int) (value, median, expected, prev float64, prevPeriod int32)
	// rowCounts returns the unit's row errors and warnings.
	rowCounts(unit string) (errors, warnings int)
}

// severityText is the severity of each severityRank.
var severityText = [...]string{"", "info", "warning", "error"}

// severityRank orders the severities, "error" highest; 0 for any other.
func severityRank(s string) int {
	switch s {
	case "error":
		return 3
	case "warning":
		return 2
	case "info":
		return 1
	}
	return 0
}

// caseEntry is a finding in a unit's case: the finding's index, and
// whether the unit is its peer (the other unit of a copy); cell says the
// finding is about a cell (a period and an indicator, not a copy), which
// has one evidence item however many findings flag it.
type caseEntry struct {
	f          int32
	peer, cell bool
}

// buildCases groups the findings by unit into case files and ranks them.
// tested is the number of units the statistical tests were run on, the
// count of Benjamini–Hochberg; fdr its level. A copy is evidence against
// both units. periods are those the cells' previous periods index,
// indIndex maps an indicator id to its index. The cases are made in runs
// on up to workers goroutines, each with cells of its own (newCells);
// their items, reasons and periods are returned apart.
//
// The findings are grouped in two passes, the first counting each unit's,
// so that the cases, their evidence items and reasons are cut from a few
// slices of their exact size, and a unit's cells are told apart by
// sorting its findings, not by a map per unit.
func buildCases(findings []Finding, tested int, fdr float64, periods []string, newCells func() caseCells, indIndex func(string) (int, bool),
	workers int) ([]Case, caseParts) {
	// The units with findings, in the order of their first, and the case
	// of each finding's unit and peer (-1 for none).
	// Findings come sorted by kind and unit: a unit's are mostly next to
	// each other, and the units change fewer times than there are
	// findings, which sizes the map.
	changes := 0
	for i := range findings {
		if i == 0 || findings[i].Unit != findings[i-1].Unit {
			changes++
		}
	}
	id := make(map[string]int32, changes)
	var units []string
	var count []int32
	last, lastCase := "", int32(-1)
	caseOf := func(unit string) int32 {
		c := lastCase
		if unit != last || c < 0 {
			var ok bool
			if c, ok = id[unit]; !ok {
				c = int32(len(units))
				id[unit] = c
				units = append(units, unit)
				count = append(count, 0)
			}
		}
		count[c]++
		return c
	}
	own, other := make([]int32, len(findings)), make([]int32, len(findings))
	for i := range findings {
		f := &findings[i]
		own[i], other[i] = -1, -1
		if f.Unit == AllUnits {
			continue
		}
		own[i] = caseOf(f.Unit)
		last, lastCase = f.Unit, own[i]
		if f.Kind == KindDuplicate && f.Peer() != "" {
			other[i] = caseOf(f.Peer())
		}
	}
	id = nil
	// Each case's entries, in the order of the findings.
	start := make([]int32, len(units)+1)
	for c, n := range count {
		start[c+1] = start[c] + n
	}
	entries := make([]caseEntry, start[len(units)])
	next := slices.Clone(start[:len(units)])
	put := func(c int32, e caseEntry) {
		entries[next[c]] = e
		next[c]++
	}
	for i := range findings {
		f := &findings[i]
		if own[i] >= 0 {
			put(own[i], caseEntry{f: int32(i), cell: f.Indicator() != "" && f.Period() != "" && f.Peer() == ""})
		}
		if other[i] >= 0 {
			put(other[i], caseEntry{f: int32(i), peer: true})
		}
	}
	own, other, next = nil, nil, nil
	cases := make([]Case, len(units))
	parts := caseParts{reasons: make([]int32, len(entries)), periods: periods}
	// A case has at most an item per entry: a run's items are made at its
	// first entry's place, then moved down to follow the run before.
	items := make([]Evidence, len(entries))
	// Runs of about as many entries each; a run's reasons are those of
	// its entries.
	runs := max(1, min(len(cases)/1024, 4*workers))
	tasks := make([]func() int32, runs)
	bounds := func(k int) (lo, hi int) {
		lo, _ = slices.BinarySearch(start, int32(k*len(entries)/runs))
		hi, _ = slices.BinarySearch(start, int32((k+1)*len(entries)/runs))
		return lo, hi
	}
	for k := range runs {
		tasks[k] = func() int32 {
			lo, hi := bounds(k)
			at := start[lo]
			b := caseBuilder{findings: findings, cells: newCells(), indIndex: indIndex, reasons: parts.reasons, items: items, at: at, next: at}
			for c := lo; c < hi; c++ {
				b.build(&cases[c], units[c], entries[start[c]:start[c+1]])
			}
			return b.next - at
		}
	}
	made := runTasks(tasks, workers)
	n := int32(0)
	for k, m := range made {
		lo, hi := bounds(k)
		if at := start[lo]; at != n {
			copy(items[n:], items[at:at+m])
			for c := lo; c < hi; c++ {
				cases[c].items -= at - n
			}
		}
		n += m
	}
	if parts.items = items[:n:n]; int(n) < len(items)*7/8 {
		parts.items = slices.Clone(parts.items) // let go of the room the items did not take
	}
	benjaminiHochberg(cases, max(tested, len(cases)), workers)
	for i := range cases {
		c := &cases[i]
		c.Significant = c.Certain || c.Q <= fdr
	}
	rankCases(cases, workers)
	return cases, parts
}

// caseBuilder makes the cases of buildCases, one after the other, their
// items and reasons in shared slices.
type caseBuilder struct {
	findings []Finding
	cells    caseCells
	indIndex func(string) (int, bool)
	// reasons and items are shared by the runs: the next item goes to
	// items[next], its reasons from reasons[at].
	reasons  []int32
	items    []Evidence
	at, next int32
	// order and groups are scratch space: the entries in the order of
	// their cells, and the evidence items they make.
	order  []int32
	groups []itemGroup
}

// itemGroup is an evidence item being made: its entries are order[lo:hi],
// the first of them entry first of the case.
type itemGroup struct {
	lo, hi, first int32
	p             float64
}

// build makes the case of a unit from its entries.
func (b *caseBuilder) build(c *Case, unit string, entries []caseEntry) {
	*c = Case{Unit: unit, P: 1, Findings: int32(len(entries))}
	sev := severityRank(b.findings[entries[0].f].Severity())
	rowErrors, rowWarnings := b.cells.rowCounts(unit)
	c.RowErrors, c.RowWarnings = int32(rowErrors), int32(rowWarnings)
	for _, e := range entries {
		f := &b.findings[e.f]
		c.tests |= 1 << kindOrder(f.Kind)
		sev = max(sev, severityRank(f.Severity()))
		if statistical(f.Kind) {
			c.P = min(c.P, f.P)
		} else {
			c.Certain = true
		}
	}
	c.tests |= kindSet(sev) << sevShift
	if c.P > minP { // else it underflowed: it stays the smallest written
		c.P = min(1, c.P*statFamilies)
	}
	// The entries in the order of their cells (the others each on its
	// own, first), in the order of the findings within a cell.
	b.order = b.order[:0]
	for k := range entries {
		b.order = append(b.order, int32(k))
	}
	if len(entries) > 1 {
		slices.SortFunc(b.order, func(x, y int32) int {
			ex, ey := &entries[x], &entries[y]
			if ex.cell != ey.cell || !ex.cell {
				return cmp.Or(cmp.Compare(b2i(ex.cell), b2i(ey.cell)), cmp.Compare(x, y))
			}
			fx, fy := &b.findings[ex.f], &b.findings[ey.f]
			return cmp.Or(cmp.Compare(fx.Period(), fy.Period()), cmp.Compare(fx.Indicator(), fy.Indicator()), cmp.Compare(x, y))
		})
	}
	b.groups = b.groups[:0]
	for i, k := range b.order {
		e := &entries[k]
		p := b.reasonP(e)
		if n := len(b.groups); n > 0 && e.cell {
			g := &b.groups[n-1]
			if pe := &entries[b.order[g.lo]]; pe.cell && sameCell(&b.findings[pe.f], &b.findings[e.f]) {
				g.hi++
				g.p = min(g.p, p)
				continue
			}
		}
		b.groups = append(b.groups, itemGroup{lo: int32(i), hi: int32(i + 1), first: k, p: p})
	}
	// The items, strongest first.
	slices.SortFunc(b.groups, func(x, y itemGroup) int {
		fx, fy := &b.findings[entries[x.first].f], &b.findings[entries[y.first].f]
		return cmp.Or(cmp.Compare(x.p, y.p), cmp.Compare(fx.Period(), fy.Period()), cmp.Compare(fx.Indicator(), fy.Indicator()),
			cmp.Compare(x.first, y.first))
	})
	c.items, c.nItems = b.next, int32(len(b.groups))
	for _, g := range b.groups {
		b.item(unit, entries, g)
	}
}

// reasonP is the p-value an entry's reason gives: 0 for a broken rule.
func (b *caseBuilder) reasonP(e *caseEntry) float64 { return reasonP(&b.findings[e.f]) }

func sameCell(f, g *Finding) bool { return f.Period() == g.Period() && f.Indicator() == g.Indicator() }

// item makes the next evidence item, of a group of a unit's entries: its
// reasons follow those of the item before.
func (b *caseBuilder) item(unit string, entries []caseEntry, g itemGroup) {
	first := &entries[g.first]
	f := &b.findings[first.f]
	nan := math.NaN()
	it := &b.items[b.next]
	b.next++
	*it = Evidence{Value: nan, PeerMedian: nan, Expected: nan, Previous: nan, reasons: b.at, prev: -1}
	for _, k := range b.order[g.lo:g.hi] {
		b.reasons[b.at] = entries[k].f
		b.at++
	}
	if !first.cell {
		return
	}
	if idx, ok := b.indIndex(f.Indicator()); ok {
		v, med, exp, prev, pp := b.cells.cell(unit, f.Period(), idx)
		it.Value, it.PeerMedian, it.Expected, it.Previous = finiteOrNaN(v), finiteOrNaN(med), finiteOrNaN(exp), finiteOrNaN(prev)
		if !math.IsNaN(it.Previous) {
			it.prev = pp
		}
	}
}

// finiteOrNaN is x, or NaN when x is not a finite number.
func finiteOrNaN(x float64) float64 {
	if math.IsInf(x, 0) {
		return math.NaN()
	}
	return x
}

// rankCases sorts the cases, most deserving of a look first: significant
// before not, by severity, by the strength of the statistical evidence,
// rules broken before not, more items before fewer, then by unit. The
// order is found on compact keys, then the cases are moved to it.
func rankCases(cases []Case, workers int) {
	// first packs significance and severity, then packs rules broken and
	// the items: the larger the earlier.
	type key struct {
		score float64
		unit  string
		then  int64
		at    int32
		first int8
	}
	keys := make([]key, len(cases))
	for i := range cases {
		c := &cases[i]
		keys[i] = key{first: int8(4*b2i(c.Significant) + int(c.tests>>sevShift)), at: int32(i), score: c.Score(),
			then: int64(b2i(c.Certain))<<32 | int64(c.nItems), unit: c.Unit}
	}
	sortParallel(keys, func(x, y key) int {
		if x.first != y.first {
			return cmp.Compare(y.first, x.first)
		}
		if c := cmp.Compare(y.score, x.score); c != 0 {
			return c
		}
		if x.then != y.then {
			return cmp.Compare(y.then, x.then)
		}
		return strings.Compare(x.unit, y.unit)
	}, workers)
	// cases[i] becomes the old cases[keys[i].at], cycle by cycle.
	for i := range keys {
		if keys[i].at < 0 {
			continue
		}
		held := cases[i]
		j := i
		for {
			k := int(keys[j].at)
			keys[j].at = -1
			if k == i {
				cases[j] = held
				break
			}
			cases[j] = cases[k]
			j = k
		}
	}
}

// benjaminiHochberg sets each case's Q: its P adjusted for the m units
// tested (the units without a case have P = 1 and do not change the
// adjusted values of those with one).
func benjaminiHochberg(cases []Case, m, workers int) {
	type key struct {
		p  float64
		at int32
	}
	keys := make([]key, len(cases))
	for i := range keys {
		keys[i] = key{cases[i].P, int32(i)}
	}
	sortParallel(keys, func(x, y key) int { return cmp.Or(cmp.Compare(x.p, y.p), cmp.Compare(x.at, y.at)) }, workers)
	q := 1.0
	for k := len(keys) - 1; k >= 0; k-- {
		c := &cases[keys[k].at]
		q = min(q, c.P*float64(m)/float64(k+1))
		c.Q = q
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CaseSummary is one line in plain Chinese saying what a case is about.
func (r *Report) CaseSummary(c *Case) string {
	return string(appendCaseSummary(nil, c, &r.caseParts, r.Findings))
}

// appendCaseSummary appends one line saying what a case holds, its items
// in parts; their reasons index findings. It is the one place a summary
// is written.
func appendCaseSummary(b []byte, c *Case, parts *caseParts, findings []Finding) []byte {
	for i, k := range c.Tests() {
		if i > 0 {
			b = append(b, "、"...)
		}
		n := 0 // the items with a reason of kind k
		for j := range c.nItems {
			if slices.ContainsFunc(parts.itemReasons(int(c.items+j)), func(f int32) bool { return findings[f].Kind == k }) {
				n++
			}
		}
		b = append(appendInt(append(b, KindNames[k]...), n), "项"...)
	}
	switch {
	case c.Certain && c.P < 1:
		b = appendPText(append(b, ";违反审核规则;统计证据综合p"...), c.P)
	case c.Certain:
		b = append(b, ";违反审核规则"...)
	default:
		b = appendPText(append(b, ";统计证据综合p"...), c.P)
		b = appendPText(append(b, ",经全批多重检验校正q"...), c.Q)
	}
	if !c.Significant {
		b = append(b, ",证据不足"...)
	}
	return b
}

// appendPText appends "=p", or "<1e-300" for the smallest.
func appendPText(b []byte, p float64) []byte {
	if p <= minP {
		return append(b, "<1e-300"...)
	}
	return appendG2(append(b, '='), p)
}
