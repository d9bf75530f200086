package audit

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/figcheck/figcheck/audit/anomaly"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules"
)

// Report formats.
const (
	OutText = "text"
	OutJSON = "json"
	OutCSV  = "csv"
	OutXLSX = "xlsx"
)

// ContentType is the media type of a report format.
func ContentType(format string) string {
	switch format {
	case OutJSON:
		return "application/json; charset=utf-8"
	case OutCSV:
		return "text/csv; charset=utf-8"
	case OutXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/plain; charset=utf-8"
}

// Write writes the report in a format.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case OutJSON:
		return r.WriteJSON(w)
	case OutCSV:
		return r.WriteCSV(w)
	case OutXLSX:
		return r.WriteXLSX(w)
	case OutText, "":
		return r.WriteText(w)
	}
	return fmt.Errorf("unknown report format %q (text, json, csv or xlsx)", format)
}

// WriteJSON writes the report as one JSON object: the summary, then the
// case files, rows, findings and problems element by element: a batch may
// have hundreds of thousands of each, and none is held encoded beyond the
// runs in flight. The elements are encoded by hand (jsonenc.go) on
// Options.Workers goroutines, the rows rendered there too (rowChunks);
// the bytes are encoding/json's.
func (r *Report) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := r.jsonHead()
	if err != nil {
		return err
	}
	_, _ = bw.Write(head)
	if r.Cases == nil {
		_, _ = bw.WriteString("null")
	} else if err := writeList(bw, "[", len(r.Cases), func(i int, e *jsonenc.Encoder) { r.Cases[i].encodeJSON(e, r, i+1) }, r.workers()); err != nil {
		return err
	}
	_, _ = bw.WriteString(`,"rows":[`)
	first := true
	r.rowChunks(true, func(c *rowChunk) bool {
		b := c.json.B
		if err = c.json.Err; err != nil {
			return false
		}
		if first && len(b) > 0 {
			b, first = b[1:], false // the first row's comma
		}
		_, err = bw.Write(b)
		return err == nil
	})
	if err != nil {
		return err
	}
	_, _ = bw.WriteString("]")
	if err := writeList(bw, `,"findings":[`, len(r.Findings), func(i int, e *jsonenc.Encoder) { r.Findings[i].encodeJSON(e) }, r.workers()); err != nil {
		return err
	}
	if err := writeList(bw, `,"problems":[`, len(r.Problems), func(i int, e *jsonenc.Encoder) { r.Problems[i].encodeJSON(e) }, r.workers()); err != nil {
		return err
	}
	_, _ = bw.WriteString("}\n")
	return bw.Flush()
}

// jsonHead is the report's head as encoding/json writes it, open after
// "cases": for the case files to follow.
func (r *Report) jsonHead() ([]byte, error) {
	head := r.ReportHead
	head.Cases = nil
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(head); err != nil {
		return nil, err
	}
	b, ok := bytes.CutSuffix(buf.Bytes(), []byte(`,"cases":null}`+"\n"))
	if !ok {
		panic("audit: the report head does not end with its case files")
	}
	return append(b, `,"cases":`...), nil
}

// writeList writes open, n elements encoded by enc, each by its index (in
// runs, on up to workers goroutines), separated by commas, and "]".
func writeList(w *bufio.Writer, open string, n int, enc func(int, *jsonenc.Encoder), workers int) error {
	_, _ = w.WriteString(open)
	var err error
	inOrder(n, 256, workers, func(lo, hi int, e *jsonenc.Encoder) {
		e.Reset()
		for i := lo; i < hi; i++ {
			if i > 0 {
				e.Raw(",")
			}
			enc(i, e)
		}
	}, func(e *jsonenc.Encoder) bool {
		if err = e.Err; err == nil {
			_, err = w.Write(e.B)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	_, err = w.WriteString("]")
	return err
}

// workers is how many goroutines encode the report.
func (r *Report) workers() int {
	if r.audit != nil {
		return r.audit.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// KindNames are the Chinese names of the finding kinds.
var KindNames = map[string]string{
	KindBatchRule: "批量规则", KindBatchError: "批量规则无法计算", KindHierarchy: "上下级合计不符",
	KindJump: "环比异常变动", KindBenford1: "本福特首位数字", KindBenford2: "本福特前两位数字",
	KindLastDigit: "凑整(结尾的0)", KindDuplicate: "疑似照抄", KindOutlier: "同类单位离群值",
}

var verdictNames = map[string]string{checker.Pass: "通过", checker.Warn: "警告", checker.Fail: "不通过"}

var severityNames = map[string]string{"error": "错误", "warning": "警告", "info": "提示"}

func fieldNames(fields map[string]any) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, " ")
}

// fieldValues lists the figures a rule read, by the indicators' Chinese
// names in form order: 集中学习次数=24、专题研讨次数=未填. Previous-period
// figures are named 上期….
func (r *Report) fieldValues(fields map[string]any) string {
	type kv struct {
		order int
		text  string
	}
	parts := make([]kv, 0, len(fields))
	for k, v := range fields {
		name, order, prev := k, len(r.indicators), false
		if id, ok := strings.CutPrefix(k, "previous."); ok {
			k, prev = id, true
		}
		if r.form != nil {
			if ind, ok := r.form.Indicator(k); ok {
				name, order = ind.Name, ind.Index
			}
		}
		if prev {
			name, order = "上期"+name, order+len(r.indicators)
		}
		val := "未填"
		switch x := v.(type) {
		case nil:
		case float64:
			val = rules.FormatValue(x)
		case string:
			val = x
		default:
			val = fmt.Sprint(x)
		}
		parts = append(parts, kv{order, name + "=" + val})
	}
	slices.SortFunc(parts, func(a, b kv) int { return cmp.Or(cmp.Compare(a.order, b.order), strings.Compare(a.text, b.text)) })
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.text
	}
	return strings.Join(out, "、")
}

// SafeCell returns text a spreadsheet will show and never evaluate
// (OWASP's advice on CSV injection): text that starts with =, +, -, @
// (or their full-width forms), a tab or a carriage return gets a leading
// apostrophe. A plain number such as -3.5 is left as it is. Every text
// cell of the CSV and XLSX reports and of the templates goes through it.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		if _, ok := plainNumber(s); ok {
			return s
		}
		return "'" + s
	}
	return s
}

func valuesText(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = rules.FormatValue(v)
	}
	return strings.Join(parts, " / ")
}

// csvHeader is the one table the CSV report is: every violation, finding
// and input problem, one per line.
var csvHeader = []string{"类别", "文件", "行", "单位", "期间", "规则或检查", "名称", "级别", "指标", "数值", "统计量", "统计值", "阈值", "说明"}

// WriteCSV writes every violation, finding and input problem as one CSV
// table, with a BOM so that Excel and WPS read it as UTF-8.
func (r *Report) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	_, _ = bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	write := func(rec []string) {
		for i := range rec {
			rec[i] = SafeCell(rec[i])
		}
		_ = cw.Write(rec)
	}
	write(slices.Clone(csvHeader))
	for row := range r.Rows() {
		for _, v := range row.Violations {
			write([]string{"违规", row.File, strconv.Itoa(row.Row), row.Unit, row.Period, v.Rule, v.Name,
				severityNames[v.Severity.String()], fieldNames(v.Fields), "", "", "", "", v.Message})
		}
		for _, e := range row.EvalErrors {
			write([]string{"无法计算", row.File, strconv.Itoa(row.Row), row.Unit, row.Period, e.Rule, e.Name,
				severityNames[e.Severity.String()], fieldNames(e.Fields), "", "", "", "", e.Error})
		}
	}
	for _, f := range r.Findings {
		unit := f.Unit
		if f.Peer() != "" {
			unit += " ↔ " + f.Peer()
		}
		write([]string{"异常发现", "", "", unit, f.Period(), f.Check(), KindNames[f.Kind], severityNames[f.Severity()],
			f.Indicator(), valuesText(f.Values()), f.Statistic(), rules.FormatValue(f.Value), rules.FormatValue(f.Threshold()), f.ReasonText()})
	}
	for _, p := range r.Problems {
		write([]string{"输入问题", p.File, strconv.Itoa(p.Row), p.Unit, p.Period, "", "", "错误", p.Column, "", "", "", "", p.Message})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteText writes the report for a terminal or a plain-text file: the
// summary, the case files, then each unit (in the order of the case
// files, then of TopUnits, then by name) with its violations and
// findings, then what concerns the whole batch.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	s := r.Summary
	fmt.Fprintf(bw, "%s 审核报告\n", r.Title)
	fmt.Fprintf(bw, "审核时间 %s  规则版本 %s(%s)\n", r.AuditedAt.Format(timeLayout), r.Ruleset, r.Form)
	for _, in := range r.Inputs {
		fmt.Fprintf(bw, "输入文件 %s  %d 字节  SHA-256 %s\n", in.Name, in.Size, in.SHA256)
	}
	fmt.Fprintf(bw, "行数 %d  单位 %d  期间 %s\n", s.Rows, s.Units, strings.Join(s.Periods, "、"))
	fmt.Fprintf(bw, "通过 %d  警告 %d  不通过 %d  输入问题 %d  异常发现 %d\n", s.Pass, s.Warn, s.Fail, s.Problems, s.Findings)
	for _, b := range r.Benford {
		fmt.Fprintf(bw, "%s\n", benfordLine(b))
	}
	r.writeCases(bw)
	if len(s.TopRules) > 0 {
		fmt.Fprintln(bw, "\n违规最多的规则:")
		for _, rc := range s.TopRules {
			fmt.Fprintf(bw, "  %5d  %-8s %s %s\n", rc.Rows, severityNames[rc.Severity], rc.Rule, rc.Name)
		}
	}
	first := true
	for u := range r.unitSections() {
		if first {
			fmt.Fprintln(bw, "\n各单位的问题:")
			first = false
		}
		fmt.Fprintf(bw, "\n■ %s(错误 %d,警告 %d,异常发现 %d)\n", u.Unit, u.Errors, u.Warnings, len(u.Findings))
		for _, row := range u.Rows {
			fmt.Fprintf(bw, "  %s %s 第%d行 %s\n", row.Period, row.File, row.Row, verdictNames[row.Verdict])
			for _, v := range row.Violations {
				fmt.Fprintf(bw, "    [%s] %s %s:%s", violationSeverity(v), v.Rule, v.Name, v.Message)
				if fv := r.fieldValues(v.Fields); fv != "" {
					fmt.Fprintf(bw, "(%s)", fv)
				}
				if v.Explained {
					fmt.Fprintf(bw, " 单位说明:%s", v.Explanation)
				}
				fmt.Fprintln(bw)
			}
			for _, e := range row.EvalErrors {
				fmt.Fprintf(bw, "    [无法计算] %s %s:%s\n", e.Rule, e.Name, e.Error)
			}
		}
		for _, f := range u.Findings {
			fmt.Fprintf(bw, "  [%s]%s %s\n", KindNames[f.Kind], periodText(f.Period()), f.ReasonText())
		}
	}
	var batch []Finding
	for _, f := range r.Findings {
		if f.Unit == AllUnits {
			batch = append(batch, f)
		}
	}
	if len(batch) > 0 {
		fmt.Fprintln(bw, "\n全部单位:")
		for _, f := range batch {
			fmt.Fprintf(bw, "  [%s]%s %s\n", KindNames[f.Kind], periodText(f.Period()), f.ReasonText())
		}
	}
	if len(r.Problems) > 0 {
		fmt.Fprintln(bw, "\n输入问题:")
		for _, p := range r.Problems {
			fmt.Fprintf(bw, "  %s\n", p.String())
		}
	}
	return bw.Flush()
}

// timeLayout is how reports print the audit time.
const timeLayout = "2006-01-02 15:04:05 -07:00"

func periodText(p string) string {
	if p == "" {
		return ""
	}
	return " " + p
}

// violationSeverity names a violation's severity, marking an explained
// warning.
func violationSeverity(v checker.Violation) string {
	if v.Explained {
		return "警告(已说明)"
	}
	return severityNames[v.Severity.String()]
}

// benfordName names a digit test.
func benfordName(b anomaly.BenfordResult) string {
	if b.Digits == 2 {
		return "前两位数字"
	}
	return "首位数字"
}

// benfordLine is one batch-wide digit test in words.
func benfordLine(b anomaly.BenfordResult) string {
	name := benfordName(b)
	if b.Reason != "" {
		return fmt.Sprintf("本福特%s:%d个数字,%s", name, b.N, b.Reason)
	}
	if b.Conformity == anomaly.TooFew {
		return fmt.Sprintf("本福特%s:%d个数字,数据太少(至少%d个),无法判断", name, b.N, b.MinCount)
	}
	return fmt.Sprintf("本福特%s:%d个数字,MAD=%s(%s),卡方=%s,自由度%d,p=%.3g", name, b.N,
		rules.FormatValue(b.MAD), conformityNames[b.Conformity], rules.FormatValue(b.ChiSquare), b.DF, b.P)
}

// String is the problem as file:row:column: message.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	fmt.Fprintf(&b, "第%d行", p.Row)
	if p.Column != "" {
		fmt.Fprintf(&b, " %s列", p.Column)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}
