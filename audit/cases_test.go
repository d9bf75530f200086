package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/figcheck/figcheck/audit/anomaly"
)

// TestCaseFileOneItemPerCell: 15 clean districts whose sizes span 0.15–6×
// give no finding (raw peer comparison gave the largest 11); a figure
// typed ten times too large, which is both a jump and a peer outlier, is
// one evidence item with both reasons, beside the peers' median and last
// period's figure.
func TestCaseFileOneItemPerCell(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		g := newGenerator(t, seed)
		b := g.cleanBatch(15)
		rows := g.cleanUnit("笔误县")
		rows[1].vals["teacher_participation"] *= 10
		b.rows = append(b.rows, rows...)
		rep := auditBytes(t, b.csvBytes(g.f), FormatCSV, Options{})
		if len(rep.Cases) != 1 || rep.Cases[0].Unit != "笔误县" {
			for i, c := range rep.Cases {
				t.Errorf("seed %d: case %d %s: %s", seed, i+1, c.Unit, rep.CaseSummary(&c))
			}
			continue
		}
		c := &rep.Cases[0]
		if !c.Significant || c.Certain != true || c.P > 1e-6 || c.Q < c.P || len(rep.Items(c)) != 1 {
			t.Errorf("seed %d: case %+v", seed, c)
			continue
		}
		it := rep.Items(c)[0]
		kinds := []string{}
		for _, i := range rep.Reasons(c, 0) {
			r := rep.Reason(i)
			kinds = append(kinds, r.Kind)
			if rep.Findings[r.Finding].Indicator() != "teacher_participation" {
				t.Errorf("seed %d: reason %+v points at finding %+v", seed, r, rep.Findings[r.Finding])
			}
		}
		if period, indicator, _, _ := rep.ItemCell(c, 0); indicator != "teacher_participation" || period != p2 ||
			strings.Join(kinds, ",") != "jump,peer_outlier" {
			t.Errorf("seed %d: item %s %s with reasons %v", seed, period, indicator, kinds)
		}
		if it.Value != rows[1].vals["teacher_participation"] || it.Previous != rows[0].vals["teacher_participation"] ||
			rep.PreviousPeriod(&it) != p1 || math.IsNaN(it.PeerMedian) || math.IsNaN(it.Expected) {
			t.Errorf("seed %d: item figures %+v", seed, it)
		}
		if it.Value < 5*it.Expected {
			t.Errorf("seed %d: value %v beside %v expected for its size", seed, it.Value, it.Expected)
		}
	}
}

// TestCopiesByProbability: on the form of 11 indicators an exact copy of
// a row is found; two small units reporting 0 or 1 of everything are not.
func TestCopiesByProbability(t *testing.T) {
	g := newSmallGenerator(t, 9)
	b := g.cleanBatch(30)
	src := g.cleanUnit("范本县")
	cp := g.cleanUnit("照搬县")
	cp[1].vals = maps(src[1].vals)
	b.rows = append(b.rows, src...)
	b.rows = append(b.rows, cp...)
	for _, name := range []string{"小县甲", "小县乙"} {
		for _, p := range []string{p1, p2} {
			vals := map[string]float64{}
			for i, ind := range g.f.Indicators {
				vals[ind.ID] = float64(i % 2)
			}
			b.rows = append(b.rows, genRow{unit: name, period: p, vals: vals})
		}
	}
	// The defaults need 5 equal figures of at least 10; with every figure
	// equal the probability alone decides.
	rep := auditBytes2(t, g, b, Options{MinSame: 1})
	var pairs []string
	for _, f := range rep.Findings {
		if f.Kind == KindDuplicate {
			pair := []string{f.Unit, f.Peer()}
			slices.Sort(pair)
			pairs = append(pairs, strings.Join(pair, "/")+"/"+f.Period())
			if f.P <= 0 || f.P > 1e-6 || f.Value >= f.Threshold() {
				t.Errorf("copy finding %+v", f)
			}
		}
	}
	if strings.Join(pairs, " ") != "照搬县/范本县/"+p2 && strings.Join(pairs, " ") != "范本县/照搬县/"+p2 {
		t.Errorf("copies %v, want 照搬县 and 范本县 in %s only", pairs, p2)
	}
}

func auditBytes2(t *testing.T, g *generator, b *batch, o Options) *Report {
	t.Helper()
	_, rep := runAudit(t, g.f, b.csvBytes(g.f), FormatCSV, o)
	return rep
}

// TestBenfordNotApplicable: figures in narrow ranges (districts of
// similar size on the small form) get "不适用" with the reason, no
// verdict, in the results, the tests' applicability and the text report.
func TestBenfordNotApplicable(t *testing.T) {
	g := newSmallGenerator(t, 4)
	g.lo, g.span = 0.8, 1.5
	b := g.cleanBatch(60)
	rep := auditBytes2(t, g, b, Options{})
	for _, r := range rep.Benford {
		if r.Conformity != anomaly.NotApplicable || !strings.HasPrefix(r.Reason, "不适用") || r.MAD != 0 || r.P != 0 {
			t.Errorf("Benford %d digits: %+v", r.Digits, r)
		}
	}
	for _, f := range rep.Findings {
		t.Errorf("finding on clean units: %s", f.ReasonText())
	}
	kinds := map[string]TestStatus{}
	for _, s := range rep.Tests {
		kinds[s.Kind+"/"+s.Scope] = s
	}
	if s := kinds[KindBenford1+"/batch"]; s.Applicable || !strings.Contains(s.Reason, "不适用") {
		t.Errorf("batch Benford status %+v", s)
	}
	if s := kinds[KindBenford1+"/unit"]; s.Tested != 0 || s.Skipped != 60 || !strings.Contains(s.Reason, "不适用") {
		t.Errorf("per-unit Benford status %+v", s)
	}
	for _, k := range []string{KindLastDigit + "/unit", KindDuplicate + "/period", KindOutlier + "/period"} {
		if s := kinds[k]; !s.Applicable || s.Tested == 0 || s.Level <= 0 {
			t.Errorf("%s status %+v", k, s)
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "本福特首位数字:") || !strings.Contains(buf.String(), "不适用:") {
		t.Errorf("text report without the reason:\n%s", buf.String())
	}
}

// TestPerStillCompares: with --per figures are compared per unit of the
// size indicator, by the modified z-score, and the tests say so.
func TestPerStillCompares(t *testing.T) {
	g := newGenerator(t, 5)
	b := g.genBatch(30)
	rep := auditBytes(t, b.csvBytes(g.f), FormatCSV, Options{Per: "学区数"})
	n := 0
	for _, f := range rep.Findings {
		if f.Kind == KindOutlier {
			n++
			if f.Statistic() != "修正z分数" || len(f.Values()) != 2 || !strings.Contains(f.ReasonText(), "按「学区数」折算") {
				t.Errorf("per finding %+v", f)
			}
		}
	}
	if n == 0 {
		t.Error("no peer outlier per 学区数")
	}
	for _, s := range rep.Tests {
		if s.Kind == KindOutlier && !strings.Contains(s.Reason, "按「学区数」折算") {
			t.Errorf("outlier status %+v", s)
		}
	}
}

// TestCasesFirst: the JSON and text reports show the case files before
// the detail.
func TestCasesFirst(t *testing.T) {
	rep, b := plantedReport(t, Options{})
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	js := buf.String()
	if i, j := strings.Index(js, `"cases":`), strings.Index(js, `"findings":[`); i < 0 || j < 0 || i > j {
		t.Errorf("cases at %d, findings at %d", i, j)
	}
	var back struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || len(back.Cases) != len(rep.Cases) || len(back.Cases) == 0 {
		t.Fatalf("cases back from JSON: %d, %v", len(back.Cases), err)
	}
	buf.Reset()
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	txt := buf.String()
	if i, j := strings.Index(txt, "问题线索"), strings.Index(txt, "各单位的问题:"); i < 0 || j < 0 || i > j {
		t.Errorf("问题线索 at %d, the detail (各单位的问题) at %d", i, j)
	}
	// The city total, off by 5 (an error), ranks first.
	if rep.Cases[0].Unit != b.plant["total"] || rep.Cases[0].Severity() != "error" {
		t.Errorf("first case %s (%s)", rep.Cases[0].Unit, rep.Cases[0].Severity())
	}
	for _, c := range rep.Cases {
		if c.Findings == 0 || len(rep.Items(&c)) == 0 || rep.CaseSummary(&c) == "" {
			t.Errorf("case %+v", c)
		}
	}
}

// fakeCells is a caseCells without figures.
type fakeCells struct{}

func (fakeCells) cell(string, string, int) (float64, float64, float64, float64, int32) {
	return math.NaN(), math.NaN(), math.NaN(), math.NaN(), -1
}
func (fakeCells) rowCounts(string) (int, int) { return 0, 0 }

func TestBuildCasesRanksAndControlsFalseAlarms(t *testing.T) {
	findings := []Finding{
		testFinding(findingMembers{Kind: KindOutlier, Severity: "warning", Unit: "甲", Period: "P", Indicator: "x", P: 1e-9}),
		testFinding(findingMembers{Kind: KindJump, Severity: "warning", Unit: "甲", Period: "P", Indicator: "x"}),
		testFinding(findingMembers{Kind: KindLastDigit, Severity: "warning", Unit: "乙", P: 1e-12}),
		testFinding(findingMembers{Kind: KindOutlier, Severity: "warning", Unit: "丙", Period: "P", Indicator: "y", P: 0.004}),
		testFinding(findingMembers{Kind: KindDuplicate, Severity: "warning", Unit: "丁", Peer: "戊", Period: "P", P: 1e-20}),
		testFinding(findingMembers{Kind: KindHierarchy, Severity: "error", Unit: "全市", Period: "P", Indicator: "x"}),
		testFinding(findingMembers{Kind: KindBenford1, Severity: "warning", Unit: AllUnits, P: 1e-5}),
	}
	cases, parts := buildCases(findings, 100, 0.01, nil, func() caseCells { return fakeCells{} }, func(string) (int, bool) { return 0, false }, 2)
	rep := &Report{ReportHead: ReportHead{Cases: cases}, Findings: findings, caseParts: parts}
	var order []string
	for _, c := range cases {
		order = append(order, fmt.Sprintf("%s:%v", c.Unit, c.Significant))
	}
	// The error first; then by evidence (a copy accuses both units); 丙's
	// 0.004 is 0.02 for five tests, 2 after 100 units: not significant.
	want := "全市:true 丁:true 戊:true 乙:true 甲:true 丙:false"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("cases %s, want %s", got, want)
	}
	for _, c := range cases {
		switch c.Unit {
		case "甲":
			if len(rep.Items(&c)) != 1 || len(rep.Reasons(&c, 0)) != 2 || !c.Certain || c.P != 5e-9 {
				t.Errorf("甲: %+v", c)
			}
		case "乙":
			// P = 5·1e-12; Q = P·100/3 (third smallest of 100).
			if math.Abs(c.Q-5e-12*100/3) > 1e-20 {
				t.Errorf("乙: Q = %v", c.Q)
			}
		case "戊":
			if _, _, _, peer := rep.ItemCell(&c, 0); len(rep.Items(&c)) != 1 || peer != "丁" {
				t.Errorf("戊: %+v", rep.Items(&c))
			}
		}
	}
}

// TestPeerMedianOfFewUnits: in a period of fewer units than MinPeers,
// where peers are not compared, a case item still shows the median of
// the period's figures beside the unit's own (it showed 0).
func TestPeerMedianOfFewUnits(t *testing.T) {
	g := newGenerator(t, 7)
	b := g.cleanBatch(4)
	last := ""
	for i := range b.rows {
		if r := &b.rows[i]; r.period > last {
			last = r.period
		}
	}
	var xs []float64
	jumped := ""
	for i := range b.rows {
		r := &b.rows[i]
		if r.period != last {
			continue
		}
		if jumped == "" {
			jumped = r.unit
			r.vals["teacher_participation"] *= 4 // a jump of 300 %
		}
		xs = append(xs, r.vals["teacher_participation"])
	}
	rep := auditBytes2(t, g, b, Options{})
	for _, c := range rep.Cases {
		if c.Unit != jumped {
			continue
		}
		for i := range rep.Items(&c) {
			it := &rep.Items(&c)[i]
			if period, ind, _, _ := rep.ItemCell(&c, i); period == last && ind == "teacher_participation" {
				if want := round(anomaly.Median(xs), 2); it.PeerMedian != want || want == 0 {
					t.Fatalf("peer median %v, want %v (the median of %v)", it.PeerMedian, want, xs)
				}
				return
			}
		}
	}
	t.Fatalf("no case item for the jump of %s in %s: %d cases", jumped, last, len(rep.Cases))
}

// TestCaseSizes: a batch may have hundreds of thousands of cases and
// evidence items, which are kept at the sizes their comments give.
func TestCaseSizes(t *testing.T) {
	if c, e := unsafe.Sizeof(Case{}), unsafe.Sizeof(Evidence{}); c != 56 || e != 40 {
		t.Errorf("Case %d bytes, Evidence %d, want 56 and 40", c, e)
	}
}
