package audit

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func plantedReport(t *testing.T, o Options) (*Report, *batch) {
	t.Helper()
	g := newGenerator(t, 42)
	b := g.genBatch(20)
	return auditBytes(t, b.csvBytes(g.f), FormatCSV, o), b
}

func TestXLSXReport(t *testing.T) {
	rep, b := plantedReport(t, Options{KeepCells: true})
	var buf bytes.Buffer
	if err := rep.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got, want := x.GetSheetList(), Sheets; !slices.Equal(got, want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	header := func(sheet string) []string {
		rows, err := x.GetRows(sheet)
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v", sheet, err)
		}
		return rows[0]
	}
	if got := header(SheetViolations); !slices.Equal(got, ViolationHeader) {
		t.Errorf("%s header %v", SheetViolations, got)
	}
	if got := header(SheetFindings); !slices.Equal(got, FindingHeader) {
		t.Errorf("%s header %v", SheetFindings, got)
	}
	raw, _ := x.GetRows(SheetRaw)
	if len(raw) != len(b.rows)+1 || raw[0][2] != "单位" || raw[0][5] != "集中学习次数" {
		t.Fatalf("%s: %d rows, header %v", SheetRaw, len(raw), raw[0][:6])
	}
	findings, _ := x.GetRows(SheetFindings)
	if len(findings) != len(rep.Findings)+1 {
		t.Errorf("%s has %d rows for %d findings", SheetFindings, len(findings)-1, len(rep.Findings))
	}
	summary, _ := x.GetRows(SheetSummary)
	if !strings.Contains(summary[0][0], "审核报告") {
		t.Errorf("summary title %q", summary[0][0])
	}
	// The placeholder cell of 占位县 is filled red and carries the message.
	col := -1
	for i, h := range raw[0] {
		if h == "党建品牌数" {
			col = i + 1
		}
	}
	row := -1
	for i, r := range raw {
		if r[2] == b.plant["placeholder"] && r[3] == p2 {
			row = i + 1
		}
	}
	cell, _ := excelize.CoordinatesToCellName(col, row)
	if v, _ := x.GetCellValue(SheetRaw, cell); v != "xx" {
		t.Errorf("%s = %q, want the placeholder as written", cell, v)
	}
	fill := func(cell string) string {
		id, err := x.GetCellStyle(SheetRaw, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(id)
		if err != nil || len(st.Fill.Color) == 0 {
			return ""
		}
		return strings.ToUpper(st.Fill.Color[0])
	}
	if got := fill(cell); got != ErrorFill {
		t.Errorf("%s fill %q, want %s", cell, got, ErrorFill)
	}
	if got := x.GetSheetName(x.GetActiveSheetIndex()); got != SheetSummary {
		t.Errorf("the workbook opens on %q, want %q", got, SheetSummary)
	}
	comments, err := x.GetComments(SheetRaw)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for _, c := range comments {
		if c.Cell == cell {
			for _, p := range c.Paragraph {
				text += p.Text
			}
		}
	}
	if !strings.Contains(text, "模板占位符") {
		t.Errorf("comment of %s = %q, want the rule message", cell, text)
	}
	// A clean row has no highlighted cell.
	for i, r := range raw {
		if r[2] == b.clean[0] {
			for c := 6; c <= len(r); c++ {
				cell, _ := excelize.CoordinatesToCellName(c, i+1)
				if f := fill(cell); f != "" {
					t.Errorf("clean row: %s filled %s", cell, f)
				}
			}
		}
	}
}

func TestJSONAndCSVReport(t *testing.T) {
	rep, b := plantedReport(t, Options{})
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Summary  Summary     `json:"summary"`
		Rows     []RowReport `json:"rows"`
		Findings []Finding   `json:"findings"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Summary.Rows != len(b.rows) || len(back.Findings) != len(rep.Findings) || len(back.Rows) != len(slices.Collect(rep.Rows())) {
		t.Errorf("JSON: summary %+v, %d findings, %d rows", back.Summary, len(back.Findings), len(back.Rows))
	}
	if back.Summary.Pass+back.Summary.Warn+back.Summary.Fail != back.Summary.Rows || back.Summary.TopUnits[0].Findings == 0 {
		t.Errorf("JSON summary counts: %+v", back.Summary)
	}
	buf.Reset()
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Error("CSV report without BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], csvHeader) {
		t.Errorf("CSV header %v", recs[0])
	}
	var violations, findings int
	for _, r := range recs[1:] {
		switch r[0] {
		case "违规":
			violations++
		case "异常发现":
			findings++
		}
	}
	want := 0
	for r := range rep.Rows() {
		want += len(r.Violations)
	}
	if violations != want || findings != len(rep.Findings) {
		t.Errorf("CSV: %d violations (want %d), %d findings (want %d)", violations, want, findings, len(rep.Findings))
	}
	buf.Reset()
	if err := rep.Write(&buf, OutText); err != nil || !strings.Contains(buf.String(), "异常发现") {
		t.Errorf("text report: %v", err)
	}
	if err := rep.Write(&buf, "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestRowsReportHead: the report of rows checked in a database has the
// head of a file audit's, its lists empty rather than null and its time
// set (it was written as 0001-01-01 with "inputs", "tests" and "cases"
// null).
func TestRowsReportHead(t *testing.T) {
	f := retailersForm(t)
	b := NewRowsReport(f, "retailers", nil) // no row listed: nothing to check
	if err := b.Pass("r1", "2025"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := b.Report().WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var head map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &head); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"inputs", "benford", "unit_benford", "tests", "cases", "rows", "findings", "problems"} {
		if v := string(head[k]); v != "[]" {
			t.Errorf("%s = %s, want []", k, v)
		}
	}
	var at time.Time
	if err := json.Unmarshal(head["audited_at"], &at); err != nil || at.IsZero() {
		t.Errorf("audited_at = %s", head["audited_at"])
	}
}

// TestRowsReportCapsProblems: problems of one kind from a database's rows
// (one per row, each with its own message) are listed up to the limit and
// counted beyond it, as an audit of files lists them; they were all kept.
func TestRowsReportCapsProblems(t *testing.T) {
	b := NewRowsReport(retailersForm(t), "retailers", nil)
	for i := range 250 {
		b.ProblemOf("db_mismatch", Problem{Unit: fmt.Sprintf("r%d", i), Message: fmt.Sprintf("row %d disagrees", i)})
	}
	b.Problem(Problem{Message: "a column is absent"})
	rep := b.Report()
	if rep.Summary.Problems != 251 {
		t.Errorf("summary counts %d problems, want 251", rep.Summary.Problems)
	}
	// 100 listed of the kind, the other problem, and the line that counts
	// the 150 left out.
	if len(rep.Problems) != 102 || rep.Problems[0].File != "retailers" ||
		!strings.Contains(rep.Problems[101].Message, "同类问题共250个") {
		t.Fatalf("%d problems listed, last %+v", len(rep.Problems), rep.Problems[len(rep.Problems)-1])
	}
}
