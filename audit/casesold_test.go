package audit

// The case files as the code at 998e4a3 made them (fmt, a map of cells
// per unit, a map from record to peer index per period), kept to prove
// that the leaner buildCases and caseLookup give the same cases.

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/audit/anomaly"
)

// caseOld is a case file as the code at 998e4a3 held it, each item with
// its own reasons.
type caseOld struct {
	Rank                   int
	Unit                   string
	Severity               string
	Significant, Certain   bool
	P, Q, Score            float64
	tests                  kindSet
	Findings               int
	RowErrors, RowWarnings int
	Items                  []evidenceOld
}

// evidenceOld is an evidence item as it was held.
type evidenceOld struct {
	Value, PeerMedian, Expected, Previous float64
	PreviousPeriod                        string
	P                                     float64
	Reasons                               []int32
}

func (c *caseOld) Tests() []string { return kindLists[c.tests] }

// caseCellsOld is caseCells as it was, a previous period by name.
type caseCellsOld interface {
	cell(unit, period string, ind int) (value, median, expected, prev float64, prevPeriod string)
	rowCounts(unit string) (errors, warnings int)
}

// namedCells is a caseCells as it was: its previous periods named.
type namedCells struct {
	caseCells
	periods []string
}

func (n namedCells) cell(unit, period string, ind int) (float64, float64, float64, float64, string) {
	v, med, exp, prev, pp := n.caseCells.cell(unit, period, ind)
	return v, med, exp, prev, periodName(n.periods, pp)
}

// periodName is the name of the period i of periods, "" for -1.
func periodName(periods []string, i int32) string {
	if i < 0 {
		return ""
	}
	return periods[i]
}

// buildCases groups the findings by unit into case files and ranks them.
// tested is the number of units the statistical tests were run on, the
// count of Benjamini–Hochberg; fdr its level. A copy is evidence against
// both units. indIndex maps an indicator id to its index.
// It returns the cases and their summaries by unit.
func buildCasesOld(findings []Finding, tested int, fdr float64, cells caseCellsOld, indIndex func(string) (int, bool)) ([]caseOld, map[string]string) {
	byUnit := map[string]*caseOld{}
	var order []string
	keyed := map[string]map[string]int{} // unit -> cell key -> item index
	add := func(unit, peer string, i int, f *Finding) {
		c := byUnit[unit]
		if c == nil {
			c = &caseOld{Unit: unit, P: 1, Severity: f.Severity()}
			byUnit[unit] = c
			keyed[unit] = map[string]int{}
			order = append(order, unit)
			c.RowErrors, c.RowWarnings = cells.rowCounts(unit)
		}
		c.Findings++
		c.tests |= 1 << kindOrder(f.Kind)
		if severityRank(f.Severity()) > severityRank(c.Severity) {
			c.Severity = f.Severity()
		}
		p := 0.0
		if statistical(f.Kind) {
			p = f.P
			c.P = min(c.P, f.P)
		} else {
			c.Certain = true
		}
		r := int32(i) // the reason, as an index (the old code copied the finding's members)
		// One item per cell: the same figure flagged by two tests is
		// shown once, with both reasons.
		key := ""
		if f.Indicator() != "" && f.Period() != "" && peer == "" {
			key = f.Period() + "\x00" + f.Indicator()
			if k, ok := keyed[unit][key]; ok {
				it := &c.Items[k]
				it.Reasons = append(it.Reasons, r)
				it.P = min(it.P, p)
				return
			}
		}
		// The cell and the peer are the first finding's (ItemCell).
		nan := math.NaN()
		it := evidenceOld{Value: nan, PeerMedian: nan, Expected: nan, Previous: nan, P: p, Reasons: []int32{r}}
		if key != "" {
			if idx, ok := indIndex(f.Indicator()); ok {
				v, med, exp, prev, pp := cells.cell(unit, f.Period(), idx)
				it.Value, it.PeerMedian, it.Expected, it.Previous = numOld(v), numOld(med), numOld(exp), numOld(prev)
				if !math.IsNaN(it.Previous) {
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
		add(f.Unit, f.Peer(), i, f)
		if f.Kind == KindDuplicate && f.Peer() != "" {
			add(f.Peer(), f.Unit, i, f)
		}
	}
	cases := make([]caseOld, 0, len(order))
	for _, u := range order {
		c := byUnit[u]
		if c.P > minP { // else it underflowed: it stays the smallest written
			c.P = min(1, c.P*statFamilies)
		}
		c.Score = math.Min(300, -math.Log10(max(c.P, minP)))
		slices.SortStableFunc(c.Items, func(x, y evidenceOld) int {
			fx, fy := &findings[x.Reasons[0]], &findings[y.Reasons[0]]
			return cmp.Or(cmp.Compare(x.P, y.P), cmp.Compare(fx.Period(), fy.Period()), cmp.Compare(fx.Indicator(), fy.Indicator()))
		})
		cases = append(cases, *c)
	}
	benjaminiHochbergOld(cases, max(tested, len(cases)))
	summaries := map[string]string{}
	for i := range cases {
		c := &cases[i]
		c.Significant = c.Certain || c.Q <= fdr
		summaries[c.Unit] = caseSummaryOld(c, findings)
	}
	slices.SortFunc(cases, func(x, y caseOld) int {
		return cmp.Or(-cmp.Compare(b2i(x.Significant), b2i(y.Significant)),
			-cmp.Compare(severityRank(x.Severity), severityRank(y.Severity)),
			-cmp.Compare(x.Score, y.Score), -cmp.Compare(b2i(x.Certain), b2i(y.Certain)),
			-cmp.Compare(len(x.Items), len(y.Items)), cmp.Compare(x.Unit, y.Unit))
	})
	for i := range cases {
		cases[i].Rank = i + 1
	}
	return cases, summaries
}

// benjaminiHochberg sets each case's Q: its P adjusted for the m units
// tested (the units without a case have P = 1 and do not change the
// adjusted values of those with one).
func benjaminiHochbergOld(cases []caseOld, m int) {
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

// caseSummary says in one line what a case holds.
func caseSummaryOld(c *caseOld, findings []Finding) string {
	counts := map[string]int{}
	for _, it := range c.Items {
		seen := map[string]bool{}
		for _, i := range it.Reasons {
			if r := &findings[i]; !seen[r.Kind] {
				seen[r.Kind] = true
				counts[r.Kind]++
			}
		}
	}
	parts := make([]string, 0, len(c.Tests()))
	for _, k := range c.Tests() {
		parts = append(parts, fmt.Sprintf("%s%d项", KindNames[k], counts[k]))
	}
	var b strings.Builder
	b.WriteString(strings.Join(parts, "、"))
	switch {
	case c.Certain && c.P < 1:
		fmt.Fprintf(&b, ";违反审核规则;统计证据综合p%s", pTextOld(c.P))
	case c.Certain:
		b.WriteString(";违反审核规则")
	default:
		fmt.Fprintf(&b, ";统计证据综合p%s,经全批多重检验校正q%s", pTextOld(c.P), pTextOld(c.Q))
	}
	if !c.Significant {
		b.WriteString(",证据不足")
	}
	return b.String()
}

// pText writes "=p", or "<1e-300" for the smallest.
func pTextOld(p float64) string {
	if p <= minP {
		return "<1e-300"
	}
	return fmt.Sprintf("=%.2g", p)
}

// caseLookupOld gives the case files the figures beside a cell: the peers'
// median of a period and indicator is computed once, when a case needs it.
type caseLookupOld struct {
	a       *Auditor
	periods []*periodRows // as the peer comparison left them
	medians map[cellKeyOld]float64
	// peerAt is where each record of a period is among its peers, made
	// when a case first needs that period's sizes: a scan of the peers
	// for every cell made the case files quadratic in the rows.
	peerAt map[*periodRows]map[int32]int
}

type cellKeyOld struct {
	period string
	ind    int
}

func (l *caseLookupOld) cell(unit, period string, ind int) (value, median, expected, prev float64, prevPeriod string) {
	value, median, expected, prev = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	u := l.a.unitNamed(unit)
	if u == nil {
		return
	}
	r := l.a.find(u, period)
	if r == nil {
		return
	}
	value = l.a.vals(r)[ind]
	if p := l.a.previous(u, period); p != nil {
		prev, prevPeriod = l.a.vals(p)[ind], l.a.periodOf(p)
	}
	// The peers' median and the unit's size, as the peer comparison had
	// them; a median it did not compute is computed here.
	var g *periodRows
	for _, p := range l.periods {
		if p.period == period {
			g = p
		}
	}
	if g == nil {
		return
	}
	k := cellKeyOld{period, ind}
	m, ok := l.medians[k]
	if !ok {
		if g.medians != nil {
			m = g.medians[ind]
		}
		if math.IsNaN(m) {
			xs := make([]float64, 0, len(g.peers))
			for _, id := range g.peers {
				if x := l.a.store.vals(id)[ind]; !math.IsNaN(x) {
					xs = append(xs, x)
				}
			}
			m = anomaly.Median(xs)
		}
		l.medians[k] = m
	}
	median = round(m, 2)
	if g.sizes == nil || l.a.per != nil || !l.a.sizeAware(ind) || math.IsNaN(m) {
		return
	}
	sz := g.sizes()
	if math.IsNaN(sz.logMed[ind]) {
		return
	}
	at := l.peerAt[g]
	if at == nil {
		at = make(map[int32]int, len(g.peers))
		for i, p := range g.peers {
			at[p] = i
		}
		if l.peerAt == nil {
			l.peerAt = map[*periodRows]map[int32]int{}
		}
		l.peerAt[g] = at
	}
	if i, ok := at[r.id]; ok && !math.IsNaN(sz.scale[i]) {
		expected = round(math.Exp(sz.logMed[ind]+sz.scale[i]), 2)
	}
	return
}

func (l *caseLookupOld) rowCounts(unit string) (errors, warnings int) {
	if u := l.a.unitNamed(unit); u != nil {
		for _, r := range l.a.periodsOf(u, nil) {
			o := l.a.outcome(r)
			errors += int(o.errors)
			warnings += int(o.warnings)
		}
	}
	return
}

// TestCasesAsBefore: the case files of the golden and planted batches,
// and of random findings, are those the code at 998e4a3 made, and so is
// every cell's figures.
func TestCasesAsBefore(t *testing.T) {
	type batchCase struct {
		name  string
		seed  uint64
		units int
		opts  Options
		rich  bool
	}
	batches := []batchCase{{name: "planted", seed: 42, units: 20}}
	for _, c := range goldenCases {
		batches = append(batches, batchCase{c.name, c.seed, c.units, c.opts, true})
	}
	for _, c := range batches {
		t.Run(c.name, func(t *testing.T) {
			g := newGenerator(t, c.seed)
			b := g.genBatch(c.units)
			if c.rich {
				b = richBatch(g, c.units)
			}
			a, rep := runAudit(t, g.f, b.csvBytes(g.f), FormatCSV, c.opts)
			a.findingRuns() // the periods as the peer comparison left them, which the report let go
			var periods []*periodRows
			for _, g := range a.periods {
				full := *g
				periods = append(periods, &full)
			}
			a.keepForCases()
			tested := a.unitCount()
			for u := range a.totals() {
				if a.unitNamed(u) != nil {
					tested--
				}
			}
			indIndex := func(id string) (int, bool) {
				ind, ok := a.form.Indicator(id)
				if !ok {
					return 0, false
				}
				return ind.Index, true
			}
			old := &caseLookupOld{a: a, periods: periods, medians: map[cellKeyOld]float64{}}
			want, summaries := buildCasesOld(rep.Findings, tested, a.opts.FDR, old, indIndex)
			if len(want) == 0 {
				t.Fatal("no case")
			}
			sameCases(t, rep, want, summaries)
			// Every cell, whether a case shows it or not.
			l := newCaseLookup(a)
			same := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
			for ui := range a.units.units {
				name := a.unitName(&a.units.units[ui])
				for _, g := range a.periods {
					for ind := range a.form.Indicators {
						v, m, e, p, pp := l.cell(name, g.period, ind)
						v0, m0, e0, p0, pp0 := old.cell(name, g.period, ind)
						if pn := periodName(a.periodNames, pp); !same(v, v0) || !same(m, m0) || !same(e, e0) || !same(p, p0) || pn != pp0 {
							t.Fatalf("%s %s %d: %v %v %v %v %q, want %v %v %v %v %q", name, g.period, ind, v, m, e, p, pn, v0, m0, e0, p0, pp0)
						}
					}
				}
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
		ps := []float64{0, 1e-320, 1e-300, 1e-12, 1e-5, 1e-5, 0.003, 0.2, 1}
		for round := range 20 {
			units, n := 1+rng.IntN(300), rng.IntN(2000)
			if round >= 17 { // enough cases to be made in several runs
				units, n = 8000, 20000
			}
			unit := func() string { return fmt.Sprintf("u%03d", rng.IntN(units)) }
			var fs []Finding
			for range n {
				f := findingMembers{Kind: pick(Kinds...), Check: pick("", "c1", "c2"), Severity: pick("error", "warning", "info"),
					Unit: unit(), Period: pick("", "p1", "p2", "p3"), Indicator: pick("", "i0", "i1", "i2", "nope"),
					Statistic: pick("s", "t"), Value: rng.Float64(), Threshold: rng.Float64(), P: ps[rng.IntN(len(ps))],
					Reason: fmt.Sprint(rng.Int())}
				if rng.IntN(20) == 0 {
					f.Unit = AllUnits
				}
				if f.Kind == KindDuplicate && rng.IntN(4) > 0 {
					f.Peer = unit()
				}
				f.Name = f.Indicator + "名"
				fs = append(fs, testFinding(f))
			}
			indIndex := func(id string) (int, bool) {
				if len(id) == 2 && id[0] == 'i' {
					return int(id[1] - '0'), true
				}
				return 0, false
			}
			// Findings come sorted by kind (a case's Tests are in their order).
			slices.SortStableFunc(fs, func(x, y Finding) int { return cmp.Compare(kindOrder(x.Kind), kindOrder(y.Kind)) })
			tested := rng.IntN(2 * units)
			want, summaries := buildCasesOld(fs, tested, 0.01, namedCells{hashCells{}, hashPeriods}, indIndex)
			cases, parts := buildCases(fs, tested, 0.01, hashPeriods, func() caseCells { return hashCells{} }, indIndex, 3)
			sameCases(t, &Report{ReportHead: ReportHead{Cases: cases}, Findings: fs, caseParts: parts}, want, summaries)
			if t.Failed() {
				t.Fatalf("round %d", round)
			}
		}
	})
}

// hashCells is a caseCells whose figures follow from the cell, NaN for
// some, the previous period one of hashPeriods.
type hashCells struct{}

var hashPeriods = []string{"前", "p1前", "p2前", "p3前"}

func (hashCells) cell(unit, period string, ind int) (float64, float64, float64, float64, int32) {
	h := float64(len(unit)*7 + len(period)*3 + ind + int(unit[len(unit)-1]))
	nan := func(k int) float64 {
		if int(h)%k == 0 {
			return math.NaN()
		}
		return h / float64(k)
	}
	return nan(5), nan(3), nan(4), nan(2), int32(slices.Index(hashPeriods, period+"前"))
}

func (hashCells) rowCounts(unit string) (int, int) { return len(unit) % 3, int(unit[len(unit)-1]) % 2 }

// sameCases fails the test unless the cases of rep are the cases want
// with their summaries by unit.
func sameCases(t *testing.T, rep *Report, want []caseOld, summaries map[string]string) {
	t.Helper()
	got := casesAsOld(rep)
	if len(got) != len(want) {
		t.Fatalf("%d cases, want %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(nanless(got[i]), nanless(want[i])) {
			t.Fatalf("case %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
		if s := rep.CaseSummary(&rep.Cases[i]); s != summaries[got[i].Unit] {
			t.Fatalf("case %d: summary %s, want %s", i, s, summaries[got[i].Unit])
		}
	}
}

// casesAsOld are the cases of rep as they were held, read through the
// accessors.
func casesAsOld(rep *Report) []caseOld {
	out := make([]caseOld, len(rep.Cases))
	for i := range rep.Cases {
		c := &rep.Cases[i]
		o := caseOld{Rank: i + 1, Unit: c.Unit, Severity: c.Severity(), Significant: c.Significant, Certain: c.Certain, P: c.P, Q: c.Q,
			Score: c.Score(), tests: c.tests & (1<<sevShift - 1), Findings: int(c.Findings), RowErrors: int(c.RowErrors), RowWarnings: int(c.RowWarnings)}
		for j, it := range rep.Items(c) {
			reasons := rep.Reasons(c, j)
			o.Items = append(o.Items, evidenceOld{Value: it.Value, PeerMedian: it.PeerMedian, Expected: it.Expected, Previous: it.Previous,
				PreviousPeriod: rep.PreviousPeriod(&it), P: itemP(rep.Findings, reasons), Reasons: reasons})
		}
		out[i] = o
	}
	return out
}

func numOld(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return math.NaN()
	}
	return x
}

// nanless is c with its items' NaN figures (not known) made −Inf, which
// reflect.DeepEqual finds equal.
func nanless(c caseOld) caseOld {
	c.Items = slices.Clone(c.Items)
	for i := range c.Items {
		it := &c.Items[i]
		for _, x := range []*float64{&it.Value, &it.PeerMedian, &it.Expected, &it.Previous} {
			if math.IsNaN(*x) {
				*x = math.Inf(-1)
			}
		}
	}
	return c
}
