package audit

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/xuri/excelize/v2"
)

// Sheet names of the XLSX report.
const (
	SheetSummary    = "汇总"
	SheetViolations = "违规明细"
	SheetFindings   = "异常发现"
	SheetRaw        = "原始数据"
)

// Headers of the XLSX report's table sheets.
var (
	ViolationHeader = []string{"文件", "行", "单位", "期间", "结论", "规则", "规则名称", "级别", "说明", "涉及指标"}
	FindingHeader   = []string{"类型", "单位", "期间", "对照单位", "指标", "数值", "统计量", "统计值", "阈值", "级别", "说明"}
	rawFixed        = []string{"文件", "行", "单位", "期间", "结论"}
)

// Fill colours of the raw data sheet: cells of an error, of a warning.
const (
	ErrorFill   = "FFC7CE"
	WarningFill = "FFEB9C"
)

type xlsxWriter struct {
	f                 *excelize.File
	head, wrap        int
	errFill, warnFill int
	errNum, warnNum   int
	err               error
}

func (x *xlsxWriter) set(sheet string, col, row int, v any) {
	if x.err != nil {
		return
	}
	cell, err := excelize.CoordinatesToCellName(col, row)
	if err == nil {
		err = x.f.SetCellValue(sheet, cell, v)
	}
	x.err = err
}

func (x *xlsxWriter) row(sheet string, row int, vals ...any) {
	for i, v := range vals {
		x.set(sheet, i+1, row, v)
	}
}

func (x *xlsxWriter) header(sheet string, names []string, widths ...float64) {
	for i, n := range names {
		x.set(sheet, i+1, 1, n)
	}
	if x.err != nil {
		return
	}
	last, _ := excelize.CoordinatesToCellName(len(names), 1)
	x.err = x.f.SetCellStyle(sheet, "A1", last, x.head)
	if x.err == nil {
		x.err = x.f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	for i, w := range widths {
		if x.err == nil && w > 0 {
			col, _ := excelize.ColumnNumberToName(i + 1)
			x.err = x.f.SetColWidth(sheet, col, col, w)
		}
	}
}

// fastZip compresses the workbook at flate's fastest level: with 原始数据
// holding every row, compression at the default level took most of the
// time of writing the workbook, for a file not much smaller.
func fastZip(w io.Writer) excelize.ZipWriter {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return zw
}

// WriteXLSX writes the report as a workbook with the sheets 汇总, 违规明细,
// 异常发现 and 原始数据. In 原始数据 the cells a violated rule reads are
// filled (red for errors, yellow for warnings) and carry a comment with
// the rule's message. 原始数据 lists rows only when the audit kept them
// (Options.KeepCells).
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	f.SetZipWriter(fastZip)
	x := &xlsxWriter{f: f}
	var err error
	style := func(s *excelize.Style) int {
		id, e := f.NewStyle(s)
		if e != nil && err == nil {
			err = e
		}
		return id
	}
	x.head = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	x.wrap = style(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	x.errFill = style(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{ErrorFill}}})
	x.warnFill = style(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{WarningFill}}})
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	for _, s := range []string{SheetViolations, SheetFindings, SheetRaw} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	r.summarySheet(x)
	r.violationSheet(x)
	r.findingSheet(x)
	// Before the streamed sheet: SetActiveSheet reads every sheet, and
	// would parse the whole of 原始数据 back.
	f.SetActiveSheet(0)
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
	line("表单", r.Form)
	line("规则版本", r.Ruleset)
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
	line("本福特检验", "数字个数", "MAD", "结论", "卡方", "自由度", "p值")
	for _, b := range r.Benford {
		name := "首位数字"
		if b.Digits == 2 {
			name = "前两位数字"
		}
		if b.Conformity == "too_few" {
			line(name, b.N, "", fmt.Sprintf("数据太少(至少%d个),无法判断", b.MinCount))
			continue
		}
		line(name, b.N, b.MAD, conformityNames[b.Conformity], b.ChiSquare, b.DF, b.P)
	}
	n++
	line("违规最多的规则", "规则名称", "级别", "行数")
	for _, rc := range s.TopRules {
		line(rc.Rule, rc.Name, severityNames[rc.Severity], rc.Rows)
	}
	n++
	line("问题最多的单位", "错误", "警告", "异常发现")
	for _, u := range s.TopUnits {
		line(u.Unit, u.Errors, u.Warnings, u.Findings)
	}
	if len(r.Problems) > 0 {
		n++
		line("输入问题", "文件", "行", "列", "说明")
		for _, p := range r.Problems {
			line("", p.File, p.Row, p.Column, p.Message)
		}
	}
	if x.err == nil {
		x.err = x.f.SetColWidth(sh, "A", "A", 28)
	}
	if x.err == nil {
		x.err = x.f.SetColWidth(sh, "B", "E", 16)
	}
}

func (r *Report) violationSheet(x *xlsxWriter) {
	const sh = SheetViolations
	x.header(sh, ViolationHeader, 10, 6, 16, 10, 8, 34, 26, 6, 60, 30)
	n := 2
	for row := range r.Rows() {
		for _, v := range row.Violations {
			x.row(sh, n, row.File, row.Row, row.Unit, row.Period, verdictNames[row.Verdict], v.Rule, v.Name,
				severityNames[v.Severity.String()], v.Message, fieldNames(v.Fields))
			n++
		}
		for _, e := range row.EvalErrors {
			x.row(sh, n, row.File, row.Row, row.Unit, row.Period, verdictNames[row.Verdict], e.Rule, e.Name,
				"无法计算", e.Error, fieldNames(e.Fields))
			n++
		}
	}
	if x.err == nil && n > 2 {
		x.err = x.f.AutoFilter(sh, fmt.Sprintf("A1:J%d", n-1), nil)
	}
}

func (r *Report) findingSheet(x *xlsxWriter) {
	const sh = SheetFindings
	x.header(sh, FindingHeader, 16, 16, 10, 16, 24, 18, 18, 10, 8, 6, 80)
	for i, f := range r.Findings {
		x.row(sh, i+2, KindNames[f.Kind], f.Unit, f.Period, f.Peer, f.Name, valuesText(f.Values), f.Statistic,
			f.Value, f.Threshold, severityNames[f.Severity], f.Reason)
	}
	if x.err == nil && len(r.Findings) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(FindingHeader), len(r.Findings)+1)
		x.err = x.f.SetCellStyle(sh, "K2", last, x.wrap)
	}
}

// rawSheet writes 原始数据 through a stream writer, so that a batch of
// 100,000 rows does not hold a cell object per figure; the comments are
// added once the rows are written.
func (r *Report) rawSheet(x *xlsxWriter) {
	const sh = SheetRaw
	if x.err != nil {
		return
	}
	header := append(slices.Clone(rawFixed), r.names...)
	col := make(map[string]int, len(r.indicators))
	for i, id := range r.indicators {
		col[id] = len(rawFixed) + i
	}
	// The comments go in before the rows are streamed: added after, each
	// would make excelize read the whole streamed sheet back.
	marks := make(map[int]map[int]int) // row -> column -> style
	for i, raw := range r.rawRows() {
		if len(raw.violations) == 0 {
			continue
		}
		m := x.markViolations(col, i+2, raw.violations)
		if x.err != nil {
			return
		}
		if len(m) > 0 {
			marks[i] = m
		}
	}
	sw, err := x.f.NewStreamWriter(sh)
	if err != nil {
		x.err = err
		return
	}
	for i, w := range []float64{10, 6, 16, 10, 8} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			x.err = err
			return
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		x.err = err
		return
	}
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = excelize.Cell{StyleID: x.head, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		x.err = err
		return
	}
	cells := make([]any, len(header))
	for i, raw := range r.rawRows() {
		n := i + 2
		clear(cells)
		cells[0], cells[1], cells[2], cells[3], cells[4] = raw.row.File, raw.row.Row, raw.row.Unit, raw.row.Period, verdictNames[raw.row.Verdict]
		figs := cells[len(rawFixed):]
		for j, x := range raw.vals {
			if !math.IsNaN(x) {
				figs[j] = x
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
		name, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(name, cells); err != nil {
			x.err = err
			return
		}
	}
	x.err = sw.Flush()
}

// markViolations adds a comment to each cell of row n that the
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
	for c, m := range msgs {
		styles[c] = x.warnFill
		if worst[c] == rules.SevError {
			styles[c] = x.errFill
		}
		slices.Sort(m)
		name, _ := excelize.CoordinatesToCellName(c+1, n)
		if x.err = x.f.AddComment(SheetRaw, excelize.Comment{Cell: name, Author: "figcheck", Paragraph: []excelize.RichTextRun{{Text: strings.Join(slices.Compact(m), "\n")}}}); x.err != nil {
			return nil
		}
	}
	return styles
}
