package audit

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/figcheck/figcheck/checker"
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

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
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
	_ = cw.Write(csvHeader)
	for _, row := range r.Rows {
		for _, v := range row.Violations {
			_ = cw.Write([]string{"违规", row.File, strconv.Itoa(row.Row), row.Unit, row.Period, v.Rule, v.Name,
				severityNames[v.Severity.String()], fieldNames(v.Fields), "", "", "", "", v.Message})
		}
		for _, e := range row.EvalErrors {
			_ = cw.Write([]string{"无法计算", row.File, strconv.Itoa(row.Row), row.Unit, row.Period, e.Rule, e.Name,
				severityNames[e.Severity.String()], fieldNames(e.Fields), "", "", "", "", e.Error})
		}
	}
	for _, f := range r.Findings {
		unit := f.Unit
		if f.Peer != "" {
			unit += " ↔ " + f.Peer
		}
		_ = cw.Write([]string{"异常发现", "", "", unit, f.Period, f.Check, KindNames[f.Kind], severityNames[f.Severity],
			f.Indicator, valuesText(f.Values), f.Statistic, rules.FormatValue(f.Value), rules.FormatValue(f.Threshold), f.Reason})
	}
	for _, p := range r.Problems {
		_ = cw.Write([]string{"输入问题", p.File, strconv.Itoa(p.Row), p.Unit, p.Period, "", "", "错误", p.Column, "", "", "", "", p.Message})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteText writes a summary for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	s := r.Summary
	fmt.Fprintf(bw, "%s (%s) 规则版本 %s\n", r.Title, r.Form, r.Ruleset)
	fmt.Fprintf(bw, "行数 %d  单位 %d  期间 %s\n", s.Rows, s.Units, strings.Join(s.Periods, "、"))
	fmt.Fprintf(bw, "通过 %d  警告 %d  不通过 %d  输入问题 %d  异常发现 %d\n", s.Pass, s.Warn, s.Fail, s.Problems, s.Findings)
	for _, b := range r.Benford {
		name := "首位数字"
		if b.Digits == 2 {
			name = "前两位数字"
		}
		if b.Reason != "" {
			fmt.Fprintf(bw, "本福特%s: %d个数字,%s\n", name, b.N, b.Reason)
			continue
		}
		if b.Conformity == "too_few" {
			fmt.Fprintf(bw, "本福特%s: %d个数字,数据太少(至少%d个),无法判断\n", name, b.N, b.MinCount)
			continue
		}
		fmt.Fprintf(bw, "本福特%s: %d个数字, MAD=%s (%s), 卡方=%s 自由度%d p=%.3g\n", name, b.N,
			rules.FormatValue(b.MAD), conformityNames[b.Conformity], rules.FormatValue(b.ChiSquare), b.DF, b.P)
	}
	r.writeCases(bw)
	if len(s.TopRules) > 0 {
		fmt.Fprintln(bw, "\n违规最多的规则:")
		for _, rc := range s.TopRules {
			fmt.Fprintf(bw, "  %5d  %-8s %s %s\n", rc.Rows, severityNames[rc.Severity], rc.Rule, rc.Name)
		}
	}
	if len(s.TopUnits) > 0 {
		fmt.Fprintln(bw, "\n问题最多的单位:")
		for _, u := range s.TopUnits {
			fmt.Fprintf(bw, "  %s: 错误 %d, 警告 %d, 异常发现 %d\n", u.Unit, u.Errors, u.Warnings, u.Findings)
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(bw, "\n异常发现:")
		for _, f := range r.Findings {
			period := ""
			if f.Period != "" {
				period = " " + f.Period
			}
			fmt.Fprintf(bw, "  [%s] %s%s: %s\n", KindNames[f.Kind], f.Unit, period, f.Reason)
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
