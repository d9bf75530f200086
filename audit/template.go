package audit

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/figcheck/figcheck/rules"
	"github.com/xuri/excelize/v2"
)

// Sheets of a fill-in template.
const (
	SheetTemplate = "填报"
	SheetRules    = "规则说明"
)

// TemplateRows is how many rows of a template carry the data validation.
const TemplateRows = 1000

// TemplateHeader is the header of an indicator's template column: its
// Chinese name and its unit in full-width brackets, which batch input
// reads back (集中学习次数（次）).
func TemplateHeader(ind *rules.Indicator) string {
	if ind.Unit == "" {
		return ind.Name
	}
	return ind.Name + "（" + ind.Unit + "）"
}

// WriteTemplate writes a workbook for units to fill in form f: a sheet
// with the columns 单位, 期间 and one per indicator, each with Excel data
// validation from its type and bounds and an input message naming the
// rules that read it; and a sheet listing the rules in plain Chinese.
// `figcheck audit` and POST /v1/audit read the filled sheet as it is.
func WriteTemplate(f *rules.Form, w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	xw, err := newXLSXWriter(x, f.Title+" 填报模板", "")
	if err != nil {
		return err
	}
	if err := x.SetSheetName("Sheet1", SheetTemplate); err != nil {
		return err
	}
	if _, err := x.NewSheet(SheetRules); err != nil {
		return err
	}
	uses := map[int][]*rules.Rule{}
	for _, r := range f.Rules {
		for _, ind := range r.Uses {
			uses[ind.Index] = append(uses[ind.Index], r)
		}
	}
	const sh = SheetTemplate
	xw.row(sh, 1, "单位", "期间")
	x.SetColWidth(sh, "A", "A", 16)
	x.SetColWidth(sh, "B", "B", 10)
	for i, ind := range f.Indicators {
		c := i + 3
		col, _ := excelize.ColumnNumberToName(c)
		head := TemplateHeader(ind)
		xw.set(sh, c, 1, head)
		xw.do(x.SetColWidth(sh, col, col, min(max(textWidth(head)/2+2, 10), 24)))
		dv, err := validation(ind, uses[ind.Index])
		if err != nil {
			return fmt.Errorf("indicator %s: %w", ind.ID, err)
		}
		dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, TemplateRows+1)
		xw.do(x.AddDataValidation(sh, dv))
	}
	last, _ := excelize.CoordinatesToCellName(len(f.Indicators)+2, 1)
	xw.do(x.SetCellStyle(sh, "A1", last, xw.head))
	xw.do(x.SetRowHeight(sh, 1, 48))
	xw.do(x.SetPanes(sh, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 1, TopLeftCell: "C2", ActivePane: "bottomRight"}))
	xw.pageSetup(sh, len(f.Indicators)+2, TemplateRows+1, max(1, (len(f.Indicators)+13)/14), "$1:$1", "$A:$B")

	xw.writeTable(table{
		sheet: SheetRules, pagesWide: 1, filter: true,
		cols: []column{{"规则编号", 12, 30}, {"规则名称", 16, 30}, {"级别", 6, 8}, {"涉及指标", 16, 30}, {"提示内容", 30, 60}, {"情况说明", 16, 40}},
		rows: func(yield func([]any) bool) {
			for _, r := range f.Rules {
				names := make([]string, len(r.Uses))
				for i, ind := range r.Uses {
					names[i] = ind.Name
				}
				for _, ind := range r.UsesPrevious {
					names = append(names, "上期"+ind.Name)
				}
				how := "须改正,不能以说明代替"
				switch r.Severity {
				case rules.SevWarning:
					how = "如情况属实,可在「说明:" + r.ID + "」列填写情况说明"
				case rules.SevInfo:
					how = "仅作提示"
				}
				if !yield([]any{r.ID, r.Name, severityNames[r.Severity.String()], strings.Join(names, "、"), plainMessage(r.Message), how}) {
					return
				}
			}
		},
	})
	if xw.err != nil {
		return xw.err
	}
	x.SetActiveSheet(0)
	_, err = x.WriteTo(w)
	return err
}

// validation is the data validation of an indicator's column: whole
// numbers or decimals within its bounds, with an input message and a
// warning (not a refusal: the checker, not the template, decides).
func validation(ind *rules.Indicator, uses []*rules.Rule) (*excelize.DataValidation, error) {
	dv := excelize.NewDataValidation(true)
	typ, kind := excelize.DataValidationTypeDecimal, "数字"
	switch ind.Type {
	case rules.Integer:
		typ, kind = excelize.DataValidationTypeWhole, "整数"
	case rules.Percent:
		kind = "百分数(填数字,如 85.5 表示 85.5%)"
	}
	var err error
	bound := ""
	switch {
	case ind.Min != nil && ind.Max != nil:
		err = dv.SetRange(*ind.Min, *ind.Max, typ, excelize.DataValidationOperatorBetween)
		bound = fmt.Sprintf("%s至%s之间的", rules.FormatValue(*ind.Min), rules.FormatValue(*ind.Max))
	case ind.Min != nil:
		err = dv.SetRange(*ind.Min, *ind.Min, typ, excelize.DataValidationOperatorGreaterThanOrEqual)
		bound = "不小于" + rules.FormatValue(*ind.Min) + "的"
	case ind.Max != nil:
		err = dv.SetRange(*ind.Max, *ind.Max, typ, excelize.DataValidationOperatorLessThanOrEqual)
		bound = "不大于" + rules.FormatValue(*ind.Max) + "的"
	default:
		err = dv.SetRange(-1e15, 1e15, typ, excelize.DataValidationOperatorBetween)
	}
	if err != nil {
		return nil, err
	}
	msg := "请填写" + bound + kind
	if ind.Unit != "" && ind.Type != rules.Percent {
		msg += ",单位:" + ind.Unit
	}
	msg += "。"
	if ind.Required {
		msg += "必填。"
	}
	if len(uses) > 0 {
		msg += "相关规则:"
		for i, r := range uses {
			add := r.Name
			if i > 0 {
				add = ";" + add
			}
			// Excel limits an input message to 255 characters.
			if len([]rune(msg+add)) > 250 {
				msg += "等"
				break
			}
			msg += add
		}
		msg += "。"
	}
	dv.SetInput(truncRunes(ind.Name, 32), msg)
	dv.SetError(excelize.DataValidationErrorStyleWarning, truncRunes(ind.Name, 32), truncRunes("应为"+bound+kind+"。如确实如此,可继续。", 250))
	return dv, nil
}

func truncRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

var placeholder = regexp.MustCompile(`\{\{\s*(.*?)\s*\}\}`)

// plainMessage is a rule's message with its expressions shown as the
// figure they print: 〔竣工幼儿园数〕 for a name, 〔计算值〕 otherwise.
func plainMessage(t *rules.Template) string {
	if t == nil {
		return ""
	}
	return placeholder.ReplaceAllStringFunc(t.Source, func(m string) string {
		inner := strings.TrimSpace(placeholder.FindStringSubmatch(m)[1])
		if strings.ContainsAny(inner, "()+-*/., ") {
			return "〔计算值〕"
		}
		return "〔" + inner + "〕"
	})
}
