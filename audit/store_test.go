package audit

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// retailersLike is n rows shaped like R validate's retailers: each row its
// own unit, one period, 8 figures with some cells empty.
func retailersLike(n int) []byte {
	var b bytes.Buffer
	b.WriteString("unit,period,staff,turnover,other_rev,total_rev,staff_costs,total_costs,profit,vat\n")
	for i := range n {
		x := i*7919 + 13
		fmt.Fprintf(&b, "r%07d,2025,%d,%d,,%d,%d,%d,%d,\n", i+1, x%90, x%9000, x%9100, x%300, x%8800, x%300)
	}
	return b.Bytes()
}

// BenchmarkRead reads a batch into an audit and waits for the row checks,
// without the batch checks or a report: 100,000 retailers-like rows, or
// the CSV file named by FIGCHECK_AUDIT_CSV (of the shipped form, or of
// the form in FIGCHECK_AUDIT_RULES). B/row is the live heap the audit
// holds per row once read (after a GC), figures included;
// FIGCHECK_READ_HEAP=file writes a heap profile at that point (run with
// -memprofilerate 1 for an exact one).
func BenchmarkRead(b *testing.B) {
	f := retailersForm(b)
	var data []byte
	if path := os.Getenv("FIGCHECK_AUDIT_CSV"); path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
		f = shippedForm(b)
		if dir := os.Getenv("FIGCHECK_AUDIT_RULES"); dir != "" {
			rs, err := rules.LoadDir(dir)
			if err != nil {
				b.Fatal(err)
			}
			f, _ = rs.Form(rs.FormIDs()[0])
		}
	} else {
		data = retailersLike(100_000)
	}
	var perRow float64
	rows := 0
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		a := readCSV(b, f, "batch.csv", bytes.NewReader(data))
		close(a.jobs)
		a.wg.Wait()
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := a.rowCount()
		perRow = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
		if path := os.Getenv("FIGCHECK_READ_HEAP"); path != "" {
			writeHeapProfile(b, path)
		}
		rows += n
		runtime.KeepAlive(a)
		b.StartTimer()
	}
	b.ReportMetric(perRow, "B/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}

func writeHeapProfile(tb testing.TB, path string) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		tb.Fatal(err)
	}
}

// TestBlockOf: rows fill the blocks one after the other, each up to its
// size.
func TestBlockOf(t *testing.T) {
	prevK, prevI := 0, -1
	for id := range int32(3*blockRows + 100) {
		k, i := blockOf(id)
		switch {
		case k == prevK && i == prevI+1:
		case k == prevK+1 && i == 0 && prevI == blockSize(prevK)-1:
		default:
			t.Fatalf("row %d in block %d at %d, after block %d at %d (size %d)", id, k, i, prevK, prevI, blockSize(prevK))
		}
		prevK, prevI = k, i
	}
}

// TestUnitTable: every unit is found by its name, long names and the
// empty one included, as the table grows; names not added are not found.
func TestUnitTable(t *testing.T) {
	tab := newUnitTable()
	names := []string{"", "甲区", strings.Repeat("长", arenaLarge), strings.Repeat("x", 3*arenaBlock)}
	for i := range 5000 {
		names = append(names, fmt.Sprintf("单位%d", i))
	}
	for i, name := range names {
		if _, ok := tab.find(name, tab.hash(name)); ok {
			t.Fatalf("%.20q found before it was added", name)
		}
		u, err := tab.add(name, tab.hash(name))
		if err != nil || int(u) != i {
			t.Fatalf("add %.20q: %d, %v", name, u, err)
		}
	}
	for i, name := range names {
		if u, ok := tab.find(name, tab.hash(name)); !ok || int(u) != i || tab.name(u) != name {
			t.Errorf("find %.20q: %d %v", name, u, ok)
		}
	}
	if _, ok := tab.find("单位5000", tab.hash("单位5000")); ok {
		t.Error("found a unit never added")
	}
}

// TestRowsAcrossFiles: each row keeps its file, an empty file between
// two others included, and a row repeated in a later file names the file
// of the first.
func TestRowsAcrossFiles(t *testing.T) {
	f := retailersForm(t)
	a, err := New(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	head := "unit,period,staff,turnover,other_rev,total_rev,staff_costs,total_costs,profit,vat\n"
	files := []struct{ name, body string }{
		{"a.csv", head + "r1,2025,1,2,,2,1,1,1,\nr2,2025,1,2,,2,1,1,1,\n"},
		{"b.csv", head},
		{"c.csv", head + "r3,2025,1,2,,2,1,1,1,\nr1,2025,9,9,,9,9,9,9,\n"},
	}
	for _, file := range files {
		rr, err := NewReader(f, strings.NewReader(file.body), FormatCSV, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Read(file.name, rr); err != nil {
			t.Fatal(err)
		}
	}
	rep := a.Finish()
	var got []string
	for _, r := range a.records() {
		got = append(got, a.fileOf(r)+":"+a.unitOf(r))
	}
	if want := []string{"a.csv:r1", "a.csv:r2", "c.csv:r3"}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Message, "首次在a.csv 第2行") || rep.Problems[0].File != "c.csv" {
		t.Errorf("problems %+v", rep.Problems)
	}
}

// TestPeriodsInAnyOrder: a unit's rows give the same checks (verdicts,
// violations and check ids, which cover the previous period's figures)
// whatever the order they come in.
func TestPeriodsInAnyOrder(t *testing.T) {
	g := newGenerator(t, 7)
	b := g.genBatch(30)
	checks := func(rows []genRow) map[string]string {
		c := *b
		c.rows = rows
		_, rep := runAudit(t, g.f, c.csvBytes(g.f), FormatCSV, Options{})
		m := map[string]string{}
		for r := range rep.Rows() {
			m[r.Unit+" "+r.Period] = fmt.Sprint(r.Verdict, r.CheckID, r.Summary, len(r.Violations))
		}
		m["summary"] = fmt.Sprint(rep.Summary.Pass, rep.Summary.Warn, rep.Summary.Fail, rep.Summary.Findings)
		return m
	}
	want := checks(b.rows)
	reversed := slices.Clone(b.rows)
	slices.Reverse(reversed)
	shuffled := slices.Clone(b.rows)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for name, rows := range map[string][]genRow{"reversed": reversed, "shuffled": shuffled} {
		if got := checks(rows); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d checks differ from the batch in order", name, len(got))
		}
	}
}

// TestPlainNumberDecimals: numbers of up to 15 digits, the dot anywhere,
// read without strconv, are the float64 strconv reads, to the bit.
func TestPlainNumberDecimals(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		digits := 1 + rng.IntN(15)
		b := make([]byte, 0, 17)
		if rng.IntN(2) == 0 {
			b = append(b, '-')
		}
		dot := rng.IntN(digits + 1)
		for i := range digits {
			if i == dot && i > 0 {
				b = append(b, '.')
			}
			b = append(b, byte('0'+rng.IntN(10)))
		}
		s := string(b)
		x, ok := plainNumber(s)
		y, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil || math.Float64bits(x) != math.Float64bits(y) {
			t.Fatalf("plainNumber(%q) = %v %v, strconv %v %v", s, x, ok, y, err)
		}
	}
}

// csvBoth reads data with csvRecords and with encoding/csv set as the
// reader was before it (LazyQuotes, any number of fields) and says where
// they differ: records, their lines, the end.
func csvBoth(data []byte) string {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord, cr.LazyQuotes = -1, true
	fast := newCSVRecords(bytes.NewReader(data))
	for n := 0; ; n++ {
		want, werr := cr.Read()
		got, gline, gerr := fast.Read()
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			return fmt.Sprintf("record %d: error %v, encoding/csv %v", n, gerr, werr)
		}
		if werr != nil {
			return ""
		}
		if wline, _ := cr.FieldPos(0); !slices.Equal(got, want) || gline != wline {
			return fmt.Sprintf("record %d: %q at line %d, encoding/csv %q at line %d", n, got, gline, want, wline)
		}
	}
}

// TestCSVRecords: csvRecords reads what encoding/csv reads, on random
// text made of the characters that matter to CSV.
func TestCSVRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "1", ",", ",", "\"", "\n", "\n", "\r", "\r\n", " ", "中", "\"\""}
	for range 20_000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		if d := csvBoth([]byte(b.String())); d != "" {
			t.Fatalf("%q: %s", b.String(), d)
		}
	}
	long := strings.Repeat("x", 200<<10) + ",\"" + strings.Repeat("y\n", 1000) + "\",z\n" + strings.Repeat("w", 70<<10) + "\n"
	if d := csvBoth([]byte(long)); d != "" {
		t.Errorf("long lines: %s", d)
	}
}

// FuzzCSVRecords: as TestCSVRecords, on any bytes.
func FuzzCSVRecords(f *testing.F) {
	for _, s := range []string{"a,b\n", "a,\"b\nc\",d\r\n\n\"e\"\"f\"\n", "x\r", "\"", "a\"b,c\n\"d\"e\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if d := csvBoth(data); d != "" {
			t.Fatal(d)
		}
	})
}

// TestRowCost: once read, a retailers-like row (8 figures, each row its
// own unit) costs at most 8 bytes a figure and 64 bytes (issue 16).
func TestRowCost(t *testing.T) {
	f := retailersForm(t)
	const rows = 100_000
	data := retailersLike(rows)
	var a *Auditor
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	after := heapAfter(func() {
		a = readCSV(t, f, "batch.csv", bytes.NewReader(data))
		close(a.jobs)
		a.wg.Wait()
	})
	perRow := float64(int64(after)-int64(before.HeapAlloc)) / rows
	if limit := float64(8*len(f.Indicators) + 64); perRow > limit || a.rowCount() != rows {
		t.Errorf("%d rows, %.1f bytes a row, want at most %.0f", a.rowCount(), perRow, limit)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(data) // not counted: it was there before
}

// TestIsBlank: isBlank is strings.TrimSpace(s) == "", ASCII and Unicode
// spaces included.
func TestIsBlank(t *testing.T) {
	cases := []string{"", " ", "\t\r\n\v\f", "\u3000", "\u00a0", "\u0085", " 1", "1 ", "x", "\u30001", "中", "\xff"}
	for c := range 128 {
		cases = append(cases, string(rune(c)), string(rune(c))+" ")
	}
	for _, s := range cases {
		if got, want := isBlank(s), strings.TrimSpace(s) == ""; got != want {
			t.Errorf("isBlank(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestRuleTableFormRules checks that each code names the form's rule of
// its id (what renderTo renders from), and no rule for a builtin one.
func TestRuleTableFormRules(t *testing.T) {
	f := retailersForm(t)
	var tab ruleTable
	tab.init(f)
	for _, tc := range []struct {
		rule string
		form bool
	}{
		{"r.turnover_nonneg", true},
		{checker.BuiltinRange, false},
		{"r.staff_nonneg", true},
		{"r.turnover_nonneg", true}, // met again: the same code
	} {
		code := tab.codeOf(&checker.Violation{Rule: tc.rule})
		if got := tab.rules[code].Rule; got != tc.rule {
			t.Fatalf("code %d is rule %q, want %q", code, got, tc.rule)
		}
		want, _ := f.Rule(tc.rule)
		if got := tab.formRules[code]; got != want || (got != nil) != tc.form {
			t.Errorf("%s: form rule %v, want %v", tc.rule, got, want)
		}
	}
	if len(tab.rules) != 3 || len(tab.formRules) != 3 {
		t.Errorf("%d rules, %d form rules, want 3 of each", len(tab.rules), len(tab.formRules))
	}
}
