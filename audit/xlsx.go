package audit

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/figcheck/figcheck/audit/anomaly"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/xuri/excelize/v2"
)

// Sheet names of the XLSX report.
const (
	SheetSummary    = "汇总"
	SheetCases      = "问题线索"
	SheetViolations = "违规明细"
	SheetFindings   = "异常发现"
	SheetCharts     = "图表"
	SheetRaw        = "原始数据"
)

// Sheets are the sheets of the XLSX report, in order.
var Sheets = []string{SheetSummary, SheetCases, SheetViolations, SheetFindings, SheetCharts, SheetRaw}

// Headers of the XLSX report's table sheets.
var (
	ViolationHeader = []string{"文件", "行", "单位", "期间", "结论", "规则", "规则名称", "级别", "说明", "涉及指标及数值"}
	FindingHeader   = []string{"类型", "单位", "期间", "对照单位", "指标", "数值", "统计量", "统计值", "阈值", "级别", "说明"}
	rawFixed        = []string{"文件", "行", "单位", "期间", "结论"}
)

// Fill colours of the raw data sheet: cells of an error, of a warning.
const (
	ErrorFill   = "FFC7CE"
	WarningFill = "FFEB9C"
)

// Page setup of every sheet: A4 (paper size 9 in SpreadsheetML) in
// landscape, fitted to one page wide and as many pages long as needed.
const (
	paperA4   = 9
	landscape = "landscape"
)

type xlsxWriter struct {
	f               *excelize.File
	head, wrap, top int
	titleStyle      int
	// doc and stamp head and foot every printed page: the document's
	// title, the audit time (empty for a template).
	doc, stamp        string
	errFill, warnFill int
	err               error
	notes             []note // the comments of 原始数据, written by notesZip
}

// note is a comment on one cell.
type note struct {
	col, row int // 1-based
	text     string
}

func (x *xlsxWriter) do(err error) {
	if x.err == nil {
		x.err = err
	}
}

// newXLSXWriter makes the styles of a workbook; doc and stamp head and
// foot its printed pages.
func newXLSXWriter(f *excelize.File, doc, stamp string) (*xlsxWriter, error) {
	x := &xlsxWriter{f: f, doc: doc, stamp: stamp}
	var err error
	style := func(s *excelize.Style) int {
		id, e := f.NewStyle(s)
		err = errors.Join(err, e)
		return id
	}
	x.head = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	x.wrap = style(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	x.top = style(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top"}})
	x.titleStyle = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}})
	x.errFill = style(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{ErrorFill}}})
	x.warnFill = style(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{WarningFill}}})
	return x, err
}

// value is v as a cell holds it: text through SafeCell.
func value(v any) any {
	switch s := v.(type) {
	case string:
		return SafeCell(s)
	case excelize.Cell:
		s.Value = value(s.Value)
		return s
	}
	return v
}

func (x *xlsxWriter) set(sheet string, col, row int, v any) {
	if x.err != nil {
		return
	}
	cell, err := excelize.CoordinatesToCellName(col, row)
	if err == nil {
		err = x.f.SetCellValue(sheet, cell, value(v))
	}
	x.err = err
}

func (x *xlsxWriter) row(sheet string, row int, vals ...any) {
	for i, v := range vals {
		x.set(sheet, i+1, row, v)
	}
}

// textWidth is the width of text in a column's units: a CJK character
// takes two, the longest line counts.
func textWidth(s string) float64 {
	best, w := 0.0, 0.0
	for _, r := range s {
		switch {
		case r == '\n':
			best, w = max(best, w), 0
		case r >= 0x2E80 || unicode.Is(unicode.Han, r):
			w += 2
		default:
			w++
		}
	}
	return max(best, w)
}

// wrappedLines is the lines text takes in a wrapping column of width w.
func wrappedLines(text string, w float64) int {
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		n += max(1, int(math.Ceil(textWidth(line)/max(w-1, 1))))
	}
	return n
}

func cellText(v any) string {
	switch s := v.(type) {
	case nil:
		return ""
	case string:
		return s
	case excelize.Cell:
		return cellText(s.Value)
	case float64:
		return rules.FormatValue(s)
	}
	return fmt.Sprint(v)
}

// column is a column of a table sheet: its header and the bounds of its
// width; a column at its largest width wraps its text.
type column struct {
	name     string
	min, max float64
}

// headed makes the columns of a header from their width bounds, a least
// and a largest width per column.
func headed(names []string, bounds ...float64) []column {
	cols := make([]column, len(names))
	for i, n := range names {
		cols[i] = column{name: n, min: bounds[2*i], max: bounds[2*i+1]}
	}
	return cols
}

// table is a sheet of one header row and rows, written by a stream
// writer so that its size costs no cell objects.
type table struct {
	sheet string
	cols  []column
	rows  iter.Seq[[]any] // iterated twice: once for the widths
	// titleCols are the columns repeated at the left of every printed
	// page ("$A:$E"); pagesWide the pages the sheet is fitted to across.
	titleCols string
	pagesWide int
	filter    bool
}

// widths fits each column to its longest text within its bounds and
// counts the rows.
func (t *table) widths() ([]float64, []bool, int) {
	w := make([]float64, len(t.cols))
	for i, c := range t.cols {
		w[i] = max(c.min, textWidth(c.name)+2)
	}
	n := 0
	for cells := range t.rows {
		n++
		for i, v := range cells {
			if i < len(w) {
				w[i] = max(w[i], textWidth(cellText(v))+1)
			}
		}
	}
	wrap := make([]bool, len(w))
	for i, c := range t.cols {
		if c.max > 0 && w[i] > c.max {
			w[i], wrap[i] = c.max, true
		}
	}
	return w, wrap, n
}

// pageSetup makes a sheet print as a document: A4 landscape, fitted to
// pagesWide pages across, the header row (and titleCols) repeated on
// every page, narrow margins, page numbers in the footer and a print area.
func (x *xlsxWriter) pageSetup(sheet string, cols, rows, pagesWide int, titleRows, titleCols string) {
	size, orient, tall, fit := paperA4, landscape, 0, true
	x.do(x.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &pagesWide, FitToHeight: &tall}))
	x.do(x.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}))
	l, r, t, b, h, f := 0.4, 0.4, 0.6, 0.6, 0.3, 0.3
	x.do(x.f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &l, Right: &r, Top: &t, Bottom: &b, Header: &h, Footer: &f}))
	esc := func(s string) string { return strings.ReplaceAll(s, "&", "&&") }
	x.do(x.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddHeader: "&L" + esc(x.doc) + "&R" + esc(sheet),
		OddFooter: "&L" + esc(x.stamp) + "&R第 &P 页,共 &N 页",
	}))
	q := "'" + sheet + "'!"
	var titles []string
	if titleCols != "" {
		titles = append(titles, q+titleCols)
	}
	if titleRows != "" {
		titles = append(titles, q+titleRows)
	}
	if len(titles) > 0 {
		x.do(x.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: strings.Join(titles, ","), Scope: sheet}))
	}
	last, _ := excelize.ColumnNumberToName(max(cols, 1))
	x.do(x.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", RefersTo: fmt.Sprintf("%s$A$1:$%s$%d", q, last, max(rows, 1)), Scope: sheet}))
}

// writeTable writes a table sheet. Everything about the sheet but its
// cells is set before the stream writer starts: the stream writer copies
// it from the (empty) sheet and would otherwise read the rows back.
func (x *xlsxWriter) writeTable(t table) {
	if x.err != nil {
		return
	}
	w, wrap, n := t.widths()
	last, _ := excelize.CoordinatesToCellName(len(t.cols), n+1)
	if t.filter && n > 0 {
		// First: AutoFilter replaces the sheet properties pageSetup sets.
		x.do(x.f.AutoFilter(t.sheet, "A1:"+last, nil))
	}
	x.pageSetup(t.sheet, len(t.cols), n+1, max(t.pagesWide, 1), "$1:$1", t.titleCols)
	// From the last column: excelize puts each new column first, and the
	// columns must be listed in order.
	for i := len(w) - 1; i >= 0; i-- {
		col, _ := excelize.ColumnNumberToName(i + 1)
		x.do(x.f.SetColWidth(t.sheet, col, col, w[i]))
	}
	if x.err != nil {
		return
	}
	sw, err := x.f.NewStreamWriter(t.sheet)
	if err != nil {
		x.err = err
		return
	}
	x.do(sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
	head := make([]any, len(t.cols))
	for i, c := range t.cols {
		head[i] = excelize.Cell{StyleID: x.head, Value: c.name}
	}
	x.do(sw.SetRow("A1", head, excelize.RowOpts{Height: 20}))
	row := 2
	out := make([]any, len(t.cols))
	for cells := range t.rows {
		if x.err != nil {
			return
		}
		clear(out)
		lines := 1
		for i, v := range cells {
			if i >= len(out) {
				break
			}
			if wrap[i] {
				lines = max(lines, wrappedLines(cellText(v), w[i]))
			}
			v = value(v)
			st := x.top
			if wrap[i] {
				st = x.wrap
			}
			if c, ok := v.(excelize.Cell); ok && c.StyleID == 0 {
				c.StyleID = st
				v = c
			} else if !ok {
				v = excelize.Cell{StyleID: st, Value: v}
			}
			out[i] = v
		}
		name, _ := excelize.CoordinatesToCellName(1, row)
		// Wrapped text needs the height set: a streamed row has no height
		// for the spreadsheet to fit.
		if lines > 1 {
			x.do(sw.SetRow(name, out, excelize.RowOpts{Height: min(409, 16*float64(lines)+4)}))
		} else {
			x.do(sw.SetRow(name, out))
		}
		row++
	}
	x.do(sw.Flush())
}

// fastZip compresses the workbook at flate's fastest level: with 原始数据
// holding every row, compression at the default level took most of the
// time of writing the workbook, for a file not much smaller.
func fastZip(w io.Writer) *zip.Writer {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return zw
}

// WriteXLSX writes the report as a workbook that prints: 汇总 (what was
// audited, when, from which files, the counts, a line for the signatures),
// 违规明细 (each violation with the figures it read), 异常发现, 图表
// (native charts: Benford's law for the batch and for each unit with a
// digit finding, the case files' units by the strength of their evidence)
// and 原始数据. 问题线索, the case files one row per unit in their rank,
// comes before the detail. In 原始数据 the cells a
// violated rule reads are filled (red for errors, yellow for warnings) and
// carry a comment with the rule's message; it lists rows only when the
// audit kept them (Options.KeepCells). Every sheet is set up for A4
// landscape with its header repeated on each page.
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	x, err := newXLSXWriter(f, r.Title+" 审核报告", "审核时间 "+r.AuditedAt.Format(timeLayout))
	if err != nil {
		return err
	}
	f.SetZipWriter(func(w io.Writer) excelize.ZipWriter {
		return &notesZip{Writer: fastZip(w), x: x}
	})
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	for _, s := range Sheets[1:] {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	// Before the streamed sheets: SetActiveSheet reads every sheet, and
	// would parse them back.
	f.SetActiveSheet(0)
	r.summarySheet(x)
	r.caseSheet(x)
	r.violationSheet(x)
	r.findingSheet(x)
	r.chartSheet(x)
	r.rawSheet(x)
	if x.err != nil {
		return x.err
	}
	_, err = f.WriteTo(w)
	return err
}

func (r *Report) summarySheet(x *xlsxWriter) {
	const sh = SheetSummary
	s := r.Summary
	n := 1
	line := func(vals ...any) {
		x.row(sh, n, vals...)
		n++
	}
	line(r.Title + " 审核报告")
	x.do(x.f.SetCellStyle(sh, "A1", "A1", x.titleStyle))
	x.do(x.f.SetRowHeight(sh, 1, 24))
	n++
	line("审核时间", r.AuditedAt.Format(timeLayout))
	line("报表", r.Title)
	line("报表编号", r.Form)
	line("规则版本", r.Ruleset)
	n++
	x.do(x.f.MergeCell(sh, fmt.Sprintf("C%d", n), fmt.Sprintf("G%d", n)))
	line("输入文件", "大小(字节)", "SHA-256")
	x.do(x.f.SetCellStyle(sh, fmt.Sprintf("A%d", n-1), fmt.Sprintf("G%d", n-1), x.head))
	for _, in := range r.Inputs {
		name := in.Name
		if name == "" || name == "-" {
			name = "(标准输入或请求正文)"
		}
		x.do(x.f.MergeCell(sh, fmt.Sprintf("C%d", n), fmt.Sprintf("G%d", n)))
		line(name, in.Size, in.SHA256)
	}
	n++
	line("行数", s.Rows)
	line("单位数", s.Units)
	line("期间", strings.Join(s.Periods, "、"))
	line("通过", s.Pass)
	line("警告", s.Warn)
	line("不通过", s.Fail)
	line("输入问题", s.Problems)
	line("异常发现", s.Findings)
	kinds := make([]string, 0, len(s.ByKind))
	for k := range s.ByKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		line("  "+KindNames[k], s.ByKind[k])
	}
	n++
	heading := func(vals ...any) {
		x.do(x.f.SetCellStyle(sh, fmt.Sprintf("A%d", n), cellRef(len(vals), n), x.head))
		line(vals...)
	}
	heading("本福特检验", "数字个数", "MAD", "结论", "卡方", "自由度", "p值")
	for _, b := range r.Benford {
		name := benfordName(b)
		switch {
		case b.Reason != "":
			// A long reason: wrapped over the table's width.
			x.do(x.f.MergeCell(sh, fmt.Sprintf("C%d", n), fmt.Sprintf("G%d", n)))
			x.do(x.f.SetCellStyle(sh, fmt.Sprintf("C%d", n), fmt.Sprintf("G%d", n), x.wrap))
			x.do(x.f.SetRowHeight(sh, n, 16*float64(wrappedLines(b.Reason, 5*13))+4))
			line(name, b.N, b.Reason)
		case b.Conformity == anomaly.TooFew:
			line(name, b.N, "", fmt.Sprintf("数据太少(至少%d个),无法判断", b.MinCount))
		default:
			line(name, b.N, b.MAD, conformityNames[b.Conformity], b.ChiSquare, b.DF, b.P)
		}
	}
	n++
	heading("违规最多的规则", "规则名称", "级别", "行数")
	for _, rc := range s.TopRules {
		line(rc.Rule, rc.Name, severityNames[rc.Severity], rc.Rows)
	}
	n++
	heading("问题最多的单位", "错误", "警告", "异常发现")
	for _, u := range s.TopUnits {
		line(u.Unit, u.Errors, u.Warnings, u.Findings)
	}
	if len(r.Problems) > 0 {
		n++
		heading("输入问题", "文件", "行", "列", "说明")
		for _, p := range r.Problems {
			line("", p.File, p.Row, p.Column, p.Message)
		}
	}
	n++
	line("审核人:____________", "", "复核人:____________", "", "日期:__________")
	x.do(x.f.SetRowHeight(sh, n-1, 36))
	x.do(x.f.SetColWidth(sh, "A", "A", 42))
	x.do(x.f.SetColWidth(sh, "B", "B", 30))
	x.do(x.f.SetColWidth(sh, "C", "G", 13))
	x.pageSetup(sh, 7, n-1, 1, "", "")
}

// CaseHeader is the header of 问题线索.
var CaseHeader = []string{"排名", "单位", "级别", "证据", "综合p值", "检验", "发现数", "行错误", "行警告", "摘要", "主要证据"}

// maxCaseItems bounds the evidence items listed in one case's cell.
const maxCaseItems = 8

// caseSheet writes the case files, one row per unit in their rank: what
// an inspector reads first.
func (r *Report) caseSheet(x *xlsxWriter) {
	x.writeTable(table{
		sheet: SheetCases, filter: true, pagesWide: 1,
		cols: headed(CaseHeader, 4, 6, 8, 16, 6, 8, 8, 12, 8, 10, 10, 20, 6, 8, 6, 8, 6, 8, 24, 40, 30, 60),
		rows: func(yield func([]any) bool) {
			for ci := range r.Cases {
				c := &r.Cases[ci]
				tests := make([]string, len(c.Tests()))
				for i, k := range c.Tests() {
					tests[i] = KindNames[k]
				}
				if !yield([]any{ci + 1, c.Unit, severityNames[c.Severity()], caseStrength(c), pValue(c.P, c.Certain), strings.Join(tests, "、"),
					int(c.Findings), int(c.RowErrors), int(c.RowWarnings), r.CaseSummary(c), r.caseItems(c)}) {
					return
				}
			}
		},
	})
}

// caseStrength says in words how a case stands.
func caseStrength(c *Case) string {
	switch {
	case c.Certain:
		return "规则不符"
	case c.Significant:
		return "证据充分"
	}
	return "证据不足"
}

// pValue prints a case's combined p-value ("—" when only rules were
// broken).
func pValue(p float64, certain bool) string {
	switch {
	case certain && p >= 1:
		return "—"
	case p <= 0:
		return "<1e-300"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// caseItems lists a case's strongest evidence, one line each.
func (r *Report) caseItems(c *Case) string {
	var b strings.Builder
	items := r.Items(c)
	for i := range items {
		if i == maxCaseItems {
			fmt.Fprintf(&b, "\n……另有%d项", len(items)-i)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(r.evidenceText(c, i))
		reasons := r.Reasons(c, i)
		kinds := make([]string, 0, len(reasons))
		for _, k := range reasons {
			kinds = append(kinds, KindNames[r.Findings[k].Kind])
		}
		if len(kinds) > 0 {
			b.WriteString("(" + strings.Join(slices.Compact(kinds), "、") + ")")
		}
	}
	return b.String()
}

func (r *Report) violationSheet(x *xlsxWriter) {
	x.writeTable(table{
		sheet: SheetViolations, filter: true, pagesWide: 1,
		cols: headed(ViolationHeader, 6, 16, 4, 6, 8, 16, 8, 12, 6, 8, 12, 24, 14, 26, 6, 12, 20, 48, 16, 36),
		rows: func(yield func([]any) bool) {
			for row := range r.Rows() {
				for _, v := range row.Violations {
					msg := v.Message
					if v.Explained {
						msg += "\n单位说明:" + v.Explanation
					}
					if !yield([]any{row.File, row.Row, row.Unit, row.Period, verdictNames[row.Verdict], v.Rule, v.Name,
						violationSeverity(v), msg, r.fieldValues(v.Fields)}) {
						return
					}
				}
				for _, e := range row.EvalErrors {
					if !yield([]any{row.File, row.Row, row.Unit, row.Period, verdictNames[row.Verdict], e.Rule, e.Name,
						"无法计算", e.Error, r.fieldValues(e.Fields)}) {
						return
					}
				}
			}
		},
	})
}

func (r *Report) findingSheet(x *xlsxWriter) {
	x.writeTable(table{
		sheet: SheetFindings, filter: true, pagesWide: 1,
		cols: headed(FindingHeader, 8, 16, 8, 16, 6, 12, 8, 16, 8, 20, 8, 20, 6, 10, 6, 12, 6, 12, 6, 8, 30, 60),
		rows: func(yield func([]any) bool) {
			for _, f := range r.Findings {
				unit := f.Unit
				if unit == AllUnits {
					unit = "全部单位"
				}
				if !yield([]any{KindNames[f.Kind], unit, f.Period(), f.Peer(), f.Name(), valuesText(f.Values()), f.Statistic(),
					f.Value, f.Threshold(), severityNames[f.Severity()], f.ReasonText()}) {
					return
				}
			}
		},
	})
}

// maxUnitCharts bounds the per-unit Benford charts drawn in the workbook.
const maxUnitCharts = 12

// chartSheet writes the charts' figures as a table and draws the charts
// beside it: the batch's first digits against Benford's law, the same for
// each unit with a first-digit finding, and the units ranked by errors
// and findings.
func (r *Report) chartSheet(x *xlsxWriter) {
	const sh = SheetCharts
	q := "'" + sh + "'!"
	x.row(sh, 1, "首位数字", "本福特期望(%)", "全部数据实际(%)")
	x.do(x.f.SetCellStyle(sh, "A1", "C1", x.head))
	var first *anomaly.BenfordResult
	for i := range r.Benford {
		if r.Benford[i].Digits == 1 {
			first = &r.Benford[i]
		}
	}
	for d := 1; d <= 9; d++ {
		x.row(sh, d+1, strconv.Itoa(d), round(100*anomaly.BenfordExpected(d), 1))
		if first != nil && first.N > 0 && len(first.Counts) >= d {
			x.set(sh, 3, d+1, round(100*float64(first.Counts[d-1])/float64(first.N), 1))
		}
	}
	units := r.UnitBenford[:min(len(r.UnitBenford), maxUnitCharts)]
	for i, u := range units {
		col, _ := excelize.ColumnNumberToName(4 + i)
		x.set(sh, 4+i, 1, u.Unit+"(%)")
		x.do(x.f.SetCellStyle(sh, col+"1", col+"1", x.head))
		for d := 1; d <= 9 && d <= len(u.Counts); d++ {
			if u.N > 0 {
				x.set(sh, 4+i, d+1, round(100*float64(u.Counts[d-1])/float64(u.N), 1))
			}
		}
	}
	// The case files' units below the digits, by the strength of their
	// statistical evidence (−log10 p).
	top := r.Cases[:min(len(r.Cases), topN)]
	base := 13
	x.row(sh, base, "单位(按线索排名)", "证据强度(-lg p)")
	x.do(x.f.SetCellStyle(sh, fmt.Sprintf("A%d", base), fmt.Sprintf("B%d", base), x.head))
	for i, c := range top {
		x.row(sh, base+1+i, fmt.Sprintf("%d. %s", i+1, c.Unit), round(c.Score(), 1))
	}
	dataCols := 3 + len(units)
	x.do(x.f.SetColWidth(sh, "A", "A", 16))
	last, _ := excelize.ColumnNumberToName(dataCols)
	x.do(x.f.SetColWidth(sh, "B", last, 14))
	x.do(x.f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))

	chartCol, _ := excelize.ColumnNumberToName(dataCols + 2)
	digits := q + "$A$2:$A$10"
	expected := excelize.ChartSeries{Name: q + "$B$1", Categories: digits, Values: q + "$B$2:$B$10"}
	bars := func(title string, series ...excelize.ChartSeries) *excelize.Chart {
		return &excelize.Chart{
			Type: excelize.Col, Series: series,
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title}}},
			Legend:    excelize.ChartLegend{Position: "bottom"},
			Dimension: excelize.ChartDimension{Width: 560, Height: 280},
			XAxis:     excelize.ChartAxis{Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "首位数字"}}}},
			YAxis:     excelize.ChartAxis{MajorGridLines: true, Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "占比(%)"}}}},
		}
	}
	at := 1
	place := func(c *excelize.Chart) {
		x.do(x.f.AddChart(sh, fmt.Sprintf("%s%d", chartCol, at), c))
		at += 16
	}
	if first != nil && first.N > 0 {
		place(bars("全部数据首位数字:本福特期望与实际", expected,
			excelize.ChartSeries{Name: q + "$C$1", Categories: digits, Values: q + "$C$2:$C$10"}))
	} else if first != nil && first.Reason != "" {
		// No figures were tested: say why, below the digits.
		x.set(sh, 1, 11, "本福特首位数字:"+first.Reason)
	}
	for i, u := range units {
		col, _ := excelize.ColumnNumberToName(4 + i)
		place(bars("「"+u.Unit+"」首位数字:本福特期望与实际", expected,
			excelize.ChartSeries{Name: fmt.Sprintf("%s$%s$1", q, col), Categories: digits, Values: fmt.Sprintf("%s$%s$2:$%s$10", q, col, col)}))
	}
	if len(top) > 0 {
		end := base + len(top)
		place(&excelize.Chart{
			Type: excelize.Bar,
			Series: []excelize.ChartSeries{{Name: fmt.Sprintf("%s$B$%d", q, base), Categories: fmt.Sprintf("%s$A$%d:$A$%d", q, base+1, end),
				Values: fmt.Sprintf("%s$B$%d:$B$%d", q, base+1, end)}},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "问题线索:各单位的证据强度(-lg p,越长越可疑)"}}},
			Legend:    excelize.ChartLegend{Position: "none"},
			Dimension: excelize.ChartDimension{Width: 560, Height: uint(max(280, 22*len(top)+90))},
			XAxis:     excelize.ChartAxis{ReverseOrder: true},
			YAxis:     excelize.ChartAxis{MajorGridLines: true},
		})
		at += max(0, (22*len(top)+90-280)/20)
	}
	x.pageSetup(sh, dataCols+11, max(at, base+len(top)), 1, "", "")
}

// rawSheet writes 原始数据 through a stream writer, so that a batch of
// 100,000 rows does not hold a cell object per figure; the comments are
// written by notesZip, in one pass.
func (r *Report) rawSheet(x *xlsxWriter) {
	if x.err != nil {
		return
	}
	col := make(map[string]int, len(r.indicators))
	for i, id := range r.indicators {
		col[id] = len(rawFixed) + i
	}
	marks := make(map[int]map[int]int) // row -> column -> style
	for i, raw := range r.rawRows() {
		if len(raw.violations) == 0 {
			continue
		}
		if m := x.markViolations(col, i+2, raw.violations); len(m) > 0 {
			marks[i] = m
		}
	}
	// One comment through excelize makes it create the comment parts and
	// link them to the sheet; notesZip then writes them whole. Added
	// before the rows are streamed: after, excelize would read the sheet
	// back.
	if len(x.notes) > 0 {
		n := x.notes[0]
		cell, _ := excelize.CoordinatesToCellName(n.col, n.row)
		x.do(x.f.AddComment(SheetRaw, excelize.Comment{Cell: cell, Author: noteAuthor, Paragraph: []excelize.RichTextRun{{Text: n.text}}}))
	}
	cols := make([]column, 0, len(rawFixed)+len(r.names))
	for _, h := range rawFixed {
		cols = append(cols, column{h, 6, 16})
	}
	for _, n := range r.names {
		cols = append(cols, column{n, 8, 14})
	}
	cells := make([]any, len(cols))
	x.writeTable(table{
		sheet: SheetRaw, cols: cols, titleCols: "$A:$E",
		// Too many columns to fit one page across legibly: about 14
		// indicators a page, each page repeating the unit columns.
		pagesWide: max(1, (len(r.names)+13)/14),
		rows: func(yield func([]any) bool) {
			for i, raw := range r.rawRows() {
				clear(cells)
				cells[0], cells[1], cells[2], cells[3], cells[4] = raw.row.File, raw.row.Row, raw.row.Unit, raw.row.Period, verdictNames[raw.row.Verdict]
				figs := cells[len(rawFixed):]
				for j, v := range raw.vals {
					if !math.IsNaN(v) {
						figs[j] = v
					}
				}
				for j, v := range raw.bad {
					if s, ok := v.(string); ok {
						figs[j] = s
					} else {
						figs[j] = fmt.Sprint(v)
					}
				}
				for c, st := range marks[i] {
					cells[c] = excelize.Cell{StyleID: st, Value: cells[c]}
				}
				if !yield(cells) {
					return
				}
			}
		},
	})
}

// markViolations records a comment for each cell of row n that the
// violations read and returns the cells' fill styles by column: several
// messages on one cell share its comment, an error's colour wins over a
// warning's.
func (x *xlsxWriter) markViolations(col map[string]int, n int, violations []checker.Violation) map[int]int {
	msgs := map[int][]string{}
	worst := map[int]rules.Severity{}
	for _, v := range violations {
		if v.Severity == rules.SevInfo {
			continue
		}
		for field := range v.Fields {
			c, ok := col[field]
			if !ok {
				continue
			}
			msgs[c] = append(msgs[c], v.Message)
			if w, seen := worst[c]; !seen || v.Severity < w {
				worst[c] = v.Severity
			}
		}
	}
	styles := make(map[int]int, len(msgs))
	cs := make([]int, 0, len(msgs))
	for c := range msgs {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	for _, c := range cs {
		m := msgs[c]
		styles[c] = x.warnFill
		if worst[c] == rules.SevError {
			styles[c] = x.errFill
		}
		slices.Sort(m)
		x.notes = append(x.notes, note{col: c + 1, row: n, text: strings.Join(slices.Compact(m), "\n")})
	}
	return styles
}
