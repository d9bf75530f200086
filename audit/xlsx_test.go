package audit

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var fixedNow = func() time.Time { return time.Date(2025, 7, 15, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)) }

func writeBook(t *testing.T, rep *Report) (*excelize.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := rep.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x, buf.Bytes()
}

// TestXLSXPrints reads the example batch's workbook back: every sheet is
// A4 landscape fitted to its pages across, with a print area, and the
// table sheets repeat and freeze their header row.
func TestXLSXPrints(t *testing.T) {
	rep := exampleReport(t, Options{KeepCells: true, Now: fixedNow})
	x, data := writeBook(t, rep)
	names := map[string]excelize.DefinedName{}
	for _, d := range x.GetDefinedName() {
		names[d.Scope+"|"+d.Name] = d
	}
	for _, sh := range Sheets {
		lay, err := x.GetPageLayout(sh)
		if err != nil {
			t.Fatal(err)
		}
		if lay.Size == nil || *lay.Size != paperA4 || lay.Orientation == nil || *lay.Orientation != "landscape" || lay.FitToWidth == nil {
			t.Errorf("%s: page layout %+v", sh, lay)
			continue
		}
		wantWide := 1
		if sh == SheetRaw {
			wantWide = (len(rep.names) + 13) / 14
		}
		if *lay.FitToWidth != wantWide || lay.FitToHeight == nil || *lay.FitToHeight != 0 {
			t.Errorf("%s: fit to %d wide, %v tall", sh, *lay.FitToWidth, lay.FitToHeight)
		}
		props, err := x.GetSheetProps(sh)
		if err != nil || props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: fit to page not set (%v)", sh, err)
		}
		if _, ok := names[sh+"|_xlnm.Print_Area"]; !ok {
			t.Errorf("%s: no print area", sh)
		}
	}
	for _, sh := range []string{SheetViolations, SheetFindings, SheetRaw} {
		pt := names[sh+"|_xlnm.Print_Titles"].RefersTo
		if !strings.Contains(pt, "$1:$1") {
			t.Errorf("%s: print titles %q, want the header row", sh, pt)
		}
		panes, err := x.GetPanes(sh)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: panes %+v %v", sh, panes, err)
		}
	}
	if pt := names[SheetRaw+"|_xlnm.Print_Titles"].RefersTo; !strings.Contains(pt, "$A:$E") {
		t.Errorf("原始数据 print titles %q, want the unit columns too", pt)
	}
	// Column widths fit the Chinese text they hold, within their bounds.
	if w, _ := x.GetColWidth(SheetViolations, "G"); w < 14 || w > 26 {
		t.Errorf("违规明细 rule name width %v", w)
	}

	// 汇总: the audit time, both files with size and digest, the form's
	// title and rule version, a line for the signatures.
	rows, _ := x.GetRows(SheetSummary)
	text := func(label string) string {
		for _, r := range rows {
			if len(r) > 1 && r[0] == label {
				return r[1]
			}
		}
		return ""
	}
	if got := text("审核时间"); got != "2025-07-15 09:30:00 +08:00" {
		t.Errorf("审核时间 %q", got)
	}
	if text("报表") != rep.Title || text("规则版本") != rep.Ruleset {
		t.Errorf("报表 %q 规则版本 %q", text("报表"), text("规则版本"))
	}
	for _, in := range rep.Inputs {
		found := false
		for _, r := range rows {
			if len(r) > 2 && r[0] == in.Name && r[2] == in.SHA256 && r[1] != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("汇总 does not list %s with its SHA-256", in.Name)
		}
	}
	signed := false
	for _, r := range rows {
		if len(r) > 2 && strings.HasPrefix(r[0], "审核人") && strings.HasPrefix(r[2], "复核人") {
			signed = true
		}
	}
	if !signed {
		t.Error("no 审核人/复核人 line")
	}

	// 问题线索 comes before the detail, one row per unit in rank order.
	if ci, _ := x.GetSheetIndex(SheetCases); ci != 1 {
		t.Errorf("问题线索 is sheet %d, want 1: right after 汇总", ci)
	}
	crows, _ := x.GetRows(SheetCases)
	if len(rep.Cases) == 0 || len(crows) != len(rep.Cases)+1 || !slices.Equal(crows[0], CaseHeader) {
		t.Fatalf("问题线索: %d rows for %d cases, header %v", len(crows)-1, len(rep.Cases), crows[0])
	}
	for i, c := range rep.Cases {
		if crows[i+1][0] != strconv.Itoa(i+1) || crows[i+1][1] != c.Unit {
			t.Errorf("问题线索 row %d: %v, want case %d %s", i+2, crows[i+1][:2], i+1, c.Unit)
		}
	}

	// 违规明细 gives the values of the fields involved, by name.
	vrows, _ := x.GetRows(SheetViolations)
	if !slices.Equal(vrows[0], ViolationHeader) {
		t.Errorf("违规明细 header %v", vrows[0])
	}
	values := false
	for _, r := range vrows[1:] {
		if len(r) == len(ViolationHeader) && r[5] == "sport.gold_le_events" && strings.Contains(r[9], "金牌数=") && strings.Contains(r[9], "参赛项目数=") {
			values = true
		}
	}
	if !values {
		t.Error("违规明细 does not list the figures of sport.gold_le_events")
	}

	// The charts are native chart parts, on 图表.
	charts := chartParts(t, data)
	want := min(len(rep.UnitBenford), maxUnitCharts) + min(1, len(rep.Cases))
	for _, b := range rep.Benford {
		if b.Digits == 1 && b.N > 0 {
			want++
		}
	}
	if charts != want || want == 0 {
		t.Errorf("%d chart parts, want %d (%d units with a digit finding)", charts, want, len(rep.UnitBenford))
	}
}

// TestXLSXUnitCharts: a unit with a first-digit finding gets its chart.
func TestXLSXUnitCharts(t *testing.T) {
	rep, _ := plantedReport(t, Options{})
	counts := []int{10, 10, 10, 10, 10, 10, 10, 10, 10}
	for _, u := range []string{"甲县", "乙县"} {
		rep.UnitBenford = append(rep.UnitBenford, UnitDigits{Unit: u, N: 90, Counts: counts})
	}
	x, data := writeBook(t, rep)
	rows, _ := x.GetRows(SheetCharts)
	if len(rows) < 2 || len(rows[0]) < 5 || rows[0][3] != "甲县(%)" || rows[1][3] != "11.1" {
		t.Errorf("图表 data %v", rows[:2])
	}
	charts := chartParts(t, data)
	want := min(len(rep.UnitBenford), maxUnitCharts) + min(1, len(rep.Cases))
	if rep.Benford[0].N > 0 {
		want++
	}
	if charts != want {
		t.Errorf("%d chart parts, want %d", charts, want)
	}
}

// TestXLSXCommentsLinear: the comments of 原始数据 cost the same per row
// however many rows come before (excelize's AddComment made 500 rows take
// 53 s and 2,000 not finish), and each marked cell has its comment.
func TestXLSXCommentsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("times workbooks of 100 and 400 rows")
	}
	timeOf := func(n int) (time.Duration, *Report) {
		f, data := violatingBatch(t, n)
		_, rep := runAudit(t, f, data, FormatCSV, Options{KeepCells: true})
		best := time.Duration(1 << 62)
		for range 2 {
			start := time.Now()
			if err := rep.WriteXLSX(io.Discard); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(start))
		}
		return best, rep
	}
	small, _ := timeOf(100)
	large, rep := timeOf(400)
	// Linear is 4×, quadratic 16×; the machine is shared, so the margin
	// is wide.
	if ratio := float64(large) / float64(small); ratio > 9 {
		t.Errorf("400 rows took %v, 100 rows %v: %.1f×, want about 4×", large, small, ratio)
	}
	x, _ := writeBook(t, rep)
	comments, err := x.GetComments(SheetRaw)
	if err != nil {
		t.Fatal(err)
	}
	if len(comments) < 2*len(slices.Collect(rep.Rows())) {
		t.Fatalf("%d comments for %d rows with violations", len(comments), len(slices.Collect(rep.Rows())))
	}
	seen := map[string]bool{}
	for _, c := range comments {
		if seen[c.Cell] {
			t.Fatalf("two comments on %s", c.Cell)
		}
		seen[c.Cell] = true
		if id, _ := x.GetCellStyle(SheetRaw, c.Cell); id == 0 {
			t.Fatalf("%s has a comment but no fill", c.Cell)
		}
	}
}

// TestFormulaInjection: unit names, periods and file names that a
// spreadsheet would run as formulas are written as text in the CSV and
// XLSX reports.
func TestFormulaInjection(t *testing.T) {
	hostile := []string{"=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "＝1+1"}
	f := shippedForm(t)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"单位", "期间", "金牌数", "参赛项目数"})
	for _, h := range hostile {
		_ = w.Write([]string{h, "2025H1", "9", "4"})
	}
	w.Flush()
	a, err := New(f, Options{KeepCells: true})
	if err != nil {
		t.Fatal(err)
	}
	rr, _ := NewReader(f, bytes.NewReader(buf.Bytes()), FormatCSV, "")
	if err := a.Read("=cmd|' /C calc'!A0.csv", rr); err != nil {
		t.Fatal(err)
	}
	rep := a.Finish()

	var out bytes.Buffer
	if err := rep.WriteCSV(&out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	check := func(where, cell string) {
		if cell == "" {
			return
		}
		if strings.ContainsRune("=+-@\t\r", rune(cell[0])) || strings.HasPrefix(cell, "＝") {
			if _, ok := plainNumber(cell); !ok {
				t.Errorf("%s: cell %q would be evaluated", where, cell)
			}
		}
	}
	units := 0
	for _, r := range recs {
		for _, c := range r {
			check("CSV", c)
		}
		if len(r) > 3 && strings.HasPrefix(r[3], "'") {
			units++
		}
	}
	if units < len(hostile) {
		t.Errorf("CSV: %d unit cells neutralised, want at least %d", units, len(hostile))
	}
	x, _ := writeBook(t, rep)
	for _, sh := range Sheets {
		rows, err := x.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			for _, c := range r {
				check(sh, c)
			}
		}
	}
	if got := SafeCell("-3.5"); got != "-3.5" {
		t.Errorf("SafeCell(-3.5) = %q: a negative number is not a formula", got)
	}
}

// chartParts counts the native chart parts of a written workbook.
func chartParts(t *testing.T, data []byte) int {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/charts/chart") {
			n++
		}
	}
	return n
}
