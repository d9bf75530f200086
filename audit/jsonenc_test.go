package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules"
)

// writeJSONReflect is WriteJSON as it was before the hand-written
// encoders: encoding/json, element by element, the rows from Rows. It is
// the reference the encoders are held to.
func writeJSONReflect(r *Report, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	put := func(prefix string, v any, cut int) error {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, _ = bw.WriteString(prefix)
		_, err := bw.Write(buf.Bytes()[:buf.Len()-cut])
		return err
	}
	if err := put("", headView(r), 2); err != nil {
		return err
	}
	list := func(key string, each iter.Seq[any]) error {
		prefix := `,"` + key + `":[`
		var err error
		each(func(v any) bool {
			err = put(prefix, v, 1)
			prefix = ","
			return err == nil
		})
		if err != nil {
			return err
		}
		if prefix != "," {
			_, _ = bw.WriteString(prefix)
		}
		_, err = bw.WriteString("]")
		return err
	}
	rows := func(yield func(any) bool) {
		for row := range r.Rows() {
			if !yield(row) {
				return
			}
		}
	}
	if err := errors.Join(list("rows", rows), list("findings", renderedFindings(r.Findings)), list("problems", elemsOf(r.Problems))); err != nil {
		return err
	}
	_, _ = bw.WriteString("}\n")
	return bw.Flush()
}

// headView is the report's head with its case files as encoding/json
// wrote them when each evidence item held its cell, its figures as
// pointers and copies of its reasons' members (evidenceJSON).
func headView(r *Report) any {
	type head struct {
		ReportHead
		Cases []caseJSON `json:"cases"`
	}
	h := head{ReportHead: r.ReportHead}
	if r.Cases != nil {
		h.Cases = make([]caseJSON, len(r.Cases))
	}
	for i := range r.Cases {
		h.Cases[i] = caseView(r, i)
	}
	return h
}

// caseJSON is a case as encoding/json wrote it before its items indexed
// findings.
type caseJSON struct {
	Rank        int            `json:"rank"`
	Unit        string         `json:"unit"`
	Severity    string         `json:"severity"`
	Significant bool           `json:"significant"`
	Certain     bool           `json:"certain"`
	P           float64        `json:"p"`
	Q           float64        `json:"q"`
	Score       float64        `json:"score"`
	Tests       []string       `json:"tests"`
	Findings    int            `json:"findings"`
	RowErrors   int            `json:"row_errors"`
	RowWarnings int            `json:"row_warnings"`
	Summary     string         `json:"summary"`
	Items       []evidenceJSON `json:"items"`
}

// evidenceJSON is an evidence item as it was.
type evidenceJSON struct {
	Period         string   `json:"period,omitempty"`
	Indicator      string   `json:"indicator,omitempty"`
	Name           string   `json:"indicator_name,omitempty"`
	Peer           string   `json:"peer,omitempty"`
	Value          *float64 `json:"value,omitempty"`
	PeerMedian     *float64 `json:"peer_median,omitempty"`
	Expected       *float64 `json:"expected,omitempty"`
	Previous       *float64 `json:"previous,omitempty"`
	PreviousPeriod string   `json:"previous_period,omitempty"`
	P              float64  `json:"p"`
	Reasons        []Reason `json:"reasons"`
}

// caseView is the case i of r as it was: its rank and summary held, each
// item's cell and peer those of its first reason's finding, its p the
// smallest of its reasons', its reasons' members copied from their
// findings.
func caseView(r *Report, i int) caseJSON {
	c, findings := &r.Cases[i], r.Findings
	v := caseJSON{Rank: i + 1, Unit: c.Unit, Severity: c.Severity(), Significant: c.Significant, Certain: c.Certain, P: c.P, Q: c.Q,
		Score: c.Score(), Tests: c.Tests(), Findings: int(c.Findings), RowErrors: int(c.RowErrors), RowWarnings: int(c.RowWarnings),
		Summary: r.CaseSummary(c)}
	ptr := func(x float64) *float64 {
		if math.IsNaN(x) {
			return nil
		}
		return &x
	}
	items := r.Items(c)
	v.Items = make([]evidenceJSON, len(items))
	for i, it := range items {
		reasons := r.Reasons(c, i)
		ej := evidenceJSON{Value: ptr(it.Value), PeerMedian: ptr(it.PeerMedian), Expected: ptr(it.Expected), Previous: ptr(it.Previous),
			PreviousPeriod: r.PreviousPeriod(&it), P: math.Inf(1), Reasons: make([]Reason, len(reasons))}
		for j, k := range reasons {
			f := &findings[k]
			if j == 0 {
				ej.Period, ej.Indicator, ej.Name, ej.Peer = f.Period(), f.Indicator(), f.Name(), f.Peer()
				if f.Unit != c.Unit {
					ej.Peer = f.Unit
				}
			}
			p := f.P
			if !statistical(f.Kind) {
				p = 0
			}
			ej.P = min(ej.P, p)
			ej.Reasons[j] = Reason{Kind: f.Kind, Check: f.Check(), Severity: f.Severity(), Statistic: f.Statistic(), Value: f.Value,
				Threshold: f.Threshold(), P: p, Finding: int(k), Text: f.ReasonText()}
		}
		v.Items[i] = ej
	}
	return v
}

// findingView is a finding as encoding/json wrote it when its members
// were fields.
type findingView struct {
	Kind      string    `json:"kind"`
	Check     string    `json:"check,omitempty"`
	Severity  string    `json:"severity"`
	Unit      string    `json:"unit"`
	Period    string    `json:"period,omitempty"`
	Peer      string    `json:"peer,omitempty"`
	Indicator string    `json:"indicator,omitempty"`
	Name      string    `json:"indicator_name,omitempty"`
	Values    []float64 `json:"values,omitempty"`
	Statistic string    `json:"statistic"`
	Value     float64   `json:"value"`
	Threshold float64   `json:"threshold"`
	P         float64   `json:"p"`
	Reason    string    `json:"reason"`
}

// viewOf is f as findingView, its reason rendered.
func viewOf(f *Finding) *findingView {
	return &findingView{Kind: f.Kind, Check: f.Check(), Severity: f.Severity(), Unit: f.Unit, Period: f.Period(), Peer: f.Peer(),
		Indicator: f.Indicator(), Name: f.Name(), Values: f.Values(), Statistic: f.Statistic(), Value: f.Value,
		Threshold: f.Threshold(), P: f.P, Reason: f.ReasonText()}
}

// renderedFindings yields the findings as findingView.
func renderedFindings(findings []Finding) iter.Seq[any] {
	return func(yield func(any) bool) {
		for i := range findings {
			if !yield(viewOf(&findings[i])) {
				return
			}
		}
	}
}

func elemsOf[T any](s []T) iter.Seq[any] {
	return func(yield func(any) bool) {
		for i := range s {
			if !yield(&s[i]) {
				return
			}
		}
	}
}

// retailersForm is the form of testdata/retailers.
func retailersForm(t testing.TB) *rules.Form {
	t.Helper()
	rs, err := rules.LoadDir("testdata/retailers")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rs.Form("retailers")
	if !ok {
		t.Fatal("no retailers form")
	}
	return f
}

// retailersCSV is n supermarkets shaped like validate's retailers, one
// period: sizes over three decades, figures missing now and then, the
// balances broken in some rows and figures ten times too big in others.
func retailersCSV(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 16))
	var b strings.Builder
	b.WriteString("unit,period,staff,turnover,other_rev,total_rev,staff_costs,total_costs,profit,vat\n")
	for i := range n {
		staff := math.Round(math.Exp(rng.Float64()*7)) + 1
		turnover := math.Round(staff * (40 + 160*rng.Float64()))
		other := math.Round(turnover * 0.05 * rng.Float64())
		total := turnover + other
		costs := math.Round(total * (0.7 + 0.4*rng.Float64()))
		cells := []float64{staff, turnover, other, total, math.Round(staff * 30 * rng.Float64()), costs, total - costs, math.Round(turnover * (0.8 + 0.4*rng.Float64()))}
		switch rng.IntN(10) {
		case 0:
			cells[6] += 7 // the profit does not balance
		case 1:
			cells[1+rng.IntN(7)] *= 10
		case 2:
			cells[rng.IntN(8)] = math.NaN() // missing
		}
		fmt.Fprintf(&b, "r%05d,2025", i)
		for _, x := range cells {
			b.WriteByte(',')
			if !math.IsNaN(x) {
				fmt.Fprint(&b, x)
			}
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// TestJSONEncoders: the JSON report written by the hand-written encoders,
// on one goroutine or several, is byte for byte the one encoding/json
// writes, on the oracle batches, generated batches of the shipped and the
// small form, and a retailers batch, and of the same rows as if checked
// elsewhere (RowsReport: no case files, rows checked again).
func TestJSONEncoders(t *testing.T) {
	type input struct {
		name string
		f    *rules.Form
		data []byte
	}
	shipped := shippedForm(t)
	var inputs []input
	for _, in := range oracleInputs {
		data, err := os.ReadFile(filepath.Join("testdata", "oracle", in.name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{"oracle/" + in.name, shipped, data})
	}
	g := newGenerator(t, 16)
	inputs = append(inputs, input{"generated", shipped, g.genBatch(400).csvBytes(shipped)})
	sg := newSmallGenerator(t, 16)
	inputs = append(inputs, input{"small form", sg.f, sg.genBatch(300).csvBytes(sg.f)})
	inputs = append(inputs, input{"retailers", retailersForm(t), retailersCSV(3000, 1)})
	for _, in := range inputs {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers=%d", in.name, workers), func(t *testing.T) {
				_, rep := runAudit(t, in.f, in.data, FormatCSV, Options{Workers: workers})
				if len(rep.Findings) == 0 || len(rep.Cases) == 0 {
					t.Errorf("%d findings, %d cases: the batch does not exercise every encoder", len(rep.Findings), len(rep.Cases))
				}
				sameReport(t, rep)
				// The same rows as if checked elsewhere (RowsReport).
				b := rowsReportOf(t, rep)
				for _, p := range rep.Problems {
					b.Problem(p)
				}
				sameReport(t, b.Report())
			})
		}
	}
}

// sameReport fails the test unless WriteJSON writes the report as
// encoding/json does (writeJSONReflect).
func sameReport(t *testing.T, rep *Report) {
	t.Helper()
	var want, got bytes.Buffer
	if err := writeJSONReflect(rep, &want); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(want.Bytes(), []byte(`"violations":[{`)) {
		t.Error("no violation: the batch does not exercise the rows' encoder")
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("the report differs from encoding/json's at byte %d of %d:\n got %s\nwant %s",
			diffAt(got.Bytes(), want.Bytes()), want.Len(), around(got.Bytes(), want.Bytes()), around(want.Bytes(), got.Bytes()))
	}
}

func diffAt(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// around is a's bytes around its first difference with b.
func around(a, b []byte) string {
	i := diffAt(a, b)
	return string(a[max(0, i-80):min(len(a), i+80)])
}

// oddStrings are strings the encoders must escape as encoding/json does.
var oddStrings = []string{"", "甲单位", `a"b\c`, "<script>&amp;</script>", "tab\tnew\nline\r\b\f\x00\x1f\x7f", "\u2028\u2029",
	"bad \xff\xfe utf-8 \xe4\xb8", "\U0001F4C8 emoji", "previous.staff", "＝1+1"}

// oddFloats are numbers at encoding/json's format boundaries, and last
// the ones it refuses.
var oddFloats = []float64{0, math.Copysign(0, -1), 1, -2.5, 0.1 + 0.2, 1e-6, 9.99999e-7, 1e-7, 1.5e-300, 5e-324, 1e20, 1e21,
	-1e21, 123456789012.5, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}

// oddFloat is one of oddFloats, NaN and the infinities only when
// nonFinite (a value with one does not encode, so most do not get them).
func oddFloat(rng *rand.Rand, nonFinite bool) float64 {
	n := len(oddFloats)
	if !nonFinite {
		n -= 3
	}
	return oddFloats[rng.IntN(n)]
}

// fill sets every exported field v holds to random values: strings with
// odd runes, numbers at the format's boundaries (NaN and infinities
// included when nonFinite), nil, empty and full lists, maps and pointers, and the values
// a violation's fields may hold. A field added to a type later is filled
// too, so the encoders cannot miss it.
func fill(rng *rand.Rand, v reflect.Value, nonFinite bool) {
	switch v.Kind() {
	case reflect.String:
		s := oddStrings[rng.IntN(len(oddStrings))]
		if rng.IntN(4) == 0 {
			b := []byte(s)
			for range rng.IntN(4) {
				b = append(b, byte(rng.IntN(256)))
			}
			s = string(b)
		}
		v.SetString(s)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(rng.Int64N(2000) - 1000)
	case reflect.Float64:
		x := oddFloat(rng, nonFinite)
		if rng.IntN(3) == 0 {
			x = (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(60)-30))
		}
		v.SetFloat(x)
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Pointer:
		if rng.IntN(2) == 0 {
			v.Set(reflect.New(v.Type().Elem()))
			fill(rng, v.Elem(), nonFinite)
		}
	case reflect.Slice:
		if rng.IntN(4) == 0 {
			return // nil
		}
		s := reflect.MakeSlice(v.Type(), rng.IntN(4), 4)
		for i := range s.Len() {
			fill(rng, s.Index(i), nonFinite)
		}
		v.Set(s)
	case reflect.Map:
		if rng.IntN(5) == 0 {
			return // nil
		}
		m := reflect.MakeMap(v.Type())
		for range rng.IntN(5) {
			k, x := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(rng, k, nonFinite)
			fill(rng, x, nonFinite)
			m.SetMapIndex(k, x)
		}
		v.Set(m)
	case reflect.Interface:
		if x := randomFigure(rng, 2, nonFinite); x != nil {
			v.Set(reflect.ValueOf(x))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i), nonFinite)
			}
		}
	}
}

// randomFigure is a value as a violation's fields hold it: nil, a number,
// text as written, a json.Number, a bool, or (a figure given as JSON) a
// list or an object.
func randomFigure(rng *rand.Rand, depth int, nonFinite bool) any {
	switch n := rng.IntN(9); {
	case n == 0:
		return nil
	case n <= 2:
		return oddFloat(rng, nonFinite)
	case n == 3:
		return oddStrings[rng.IntN(len(oddStrings))]
	case n == 4:
		return []json.Number{"12", "-0.5", "1e21", "", "1,200", "007"}[rng.IntN(6)]
	case n == 5:
		return rng.IntN(2) == 0
	case n == 6 && depth > 0:
		l := make([]any, rng.IntN(3))
		for i := range l {
			l[i] = randomFigure(rng, depth-1, nonFinite)
		}
		return l
	case n == 7 && depth > 0:
		m := map[string]any{}
		for range rng.IntN(3) {
			m[oddStrings[rng.IntN(len(oddStrings))]] = randomFigure(rng, depth-1, nonFinite)
		}
		return m
	}
	return float64(rng.IntN(1000))
}

// FuzzJSONEncoders fills rows, findings, case files and problems at
// random (fill) and wants each encoder to write what encoding/json
// writes, or to refuse what it refuses (NaN, infinities, an invalid
// json.Number). A finding goes both as it is and after finite, as the
// report holds it: then it always encodes.
func FuzzJSONEncoders(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 16))
		var row RowReport
		var fm findingMembers
		var c Case
		var p Problem
		for _, v := range []any{&row, &fm, &c, &p} {
			fill(rng, reflect.ValueOf(v).Elem(), seed%4 == 0)
		}
		finding := testFinding(fm)
		sameJSON(t, &row, row.encodeJSON)
		sameJSON(t, viewOf(&finding), finding.encodeJSON)
		// The case's reasons are indices of findings.
		findings := make([]Finding, 1+rng.IntN(3))
		for i := range findings {
			fill(rng, reflect.ValueOf(&fm).Elem(), seed%4 == 0)
			findings[i] = testFinding(fm)
		}
		findings[0].Kind = KindOutlier // one statistical, whose P is written
		r := randomCase(rng, c, findings, seed%4 == 0)
		cv := caseView(r, 0)
		sameJSON(t, &cv, func(e *jsonenc.Encoder) { r.Cases[0].encodeJSON(e, r, 1) })
		sameJSON(t, &p, p.encodeJSON)
		finding.finite()
		if err := sameJSON(t, viewOf(&finding), finding.encodeJSON); err != nil {
			t.Errorf("a finite finding does not encode: %v", err)
		}
	})
}

// randomCase is a report of findings whose one case is c (its exported
// members filled) with random kinds, severity, items and reasons, the
// reasons of each item indices of findings.
func randomCase(rng *rand.Rand, c Case, findings []Finding, nonFinite bool) *Report {
	periods := []string{"2024", "2025H1"}
	var parts caseParts
	c.tests = kindSet(rng.IntN(1<<len(Kinds))) | kindSet(rng.IntN(4))<<sevShift
	c.items, c.nItems = 0, int32(rng.IntN(4))
	for range c.nItems {
		var it Evidence
		fill(rng, reflect.ValueOf(&it).Elem(), nonFinite)
		it.reasons, it.prev = int32(len(parts.reasons)), int32(rng.IntN(len(periods)+1)-1)
		for range 1 + rng.IntN(3) {
			parts.reasons = append(parts.reasons, int32(rng.IntN(len(findings))))
		}
		parts.items = append(parts.items, it)
	}
	parts.periods = periods
	return &Report{ReportHead: ReportHead{Cases: []Case{c}}, Findings: findings, caseParts: parts}
}

// sameJSON fails the test unless encode writes what encoding/json writes
// of v, or both refuse it; it returns encoding/json's error.
func sameJSON(t *testing.T, v any, encode func(*jsonenc.Encoder)) error {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	var e jsonenc.Encoder
	encode(&e)
	if (err != nil) != (e.Err != nil) {
		t.Fatalf("%T: encoding/json error %v, hand-written encoder error %v", v, err, e.Err)
	}
	if err == nil && !bytes.Equal(e.B, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))) {
		t.Fatalf("%T differs from encoding/json's at byte %d:\n got %s\nwant %s", v, diffAt(e.B, buf.Bytes()), e.B, buf.Bytes())
	}
	return err
}

// TestCaseJSONHasEveryMember: the old shape of a case (caseJSON), the
// reference of the case's encoder, has every member Case has, so that a
// member added to Case and not to its encoder is seen.
func TestCaseJSONHasEveryMember(t *testing.T) {
	members := func(typ reflect.Type) map[string]bool {
		m := map[string]bool{}
		for i := range typ.NumField() {
			if tag := typ.Field(i).Tag.Get("json"); tag != "-" && typ.Field(i).IsExported() {
				m[tag] = true
			}
		}
		return m
	}
	old := members(reflect.TypeFor[caseJSON]())
	for tag := range members(reflect.TypeFor[Case]()) {
		if !old[tag] {
			t.Errorf("Case member %s is not in caseJSON", tag)
		}
	}
}
