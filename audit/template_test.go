package audit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/rules"
	"github.com/xuri/excelize/v2"
)

// TestTemplate reads a template back: one validated column per indicator
// headed by name and unit, input messages naming the rules, the rules
// sheet; then fills it in and audits it: the headers are read back.
func TestTemplate(t *testing.T) {
	f := shippedForm(t)
	var buf bytes.Buffer
	if err := WriteTemplate(f, &buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); len(got) != 2 || got[0] != SheetTemplate || got[1] != SheetRules {
		t.Fatalf("sheets %v", got)
	}
	rows, _ := x.GetRows(SheetTemplate)
	head := rows[0]
	if len(head) != 2+len(f.Indicators) || head[0] != "单位" || head[1] != "期间" || head[2] != "集中学习次数（次）" {
		t.Fatalf("header %v", head[:3])
	}
	dvs, err := x.GetDataValidations(SheetTemplate)
	if err != nil {
		t.Fatal(err)
	}
	if len(dvs) != len(f.Indicators) {
		t.Fatalf("%d data validations for %d indicators", len(dvs), len(f.Indicators))
	}
	byCol := map[string]*excelize.DataValidation{}
	for _, dv := range dvs {
		byCol[strings.TrimRight(strings.SplitN(dv.Sqref, ":", 2)[0], "0123456789")] = dv
	}
	for i, ind := range f.Indicators {
		col, _ := excelize.ColumnNumberToName(i + 3)
		dv := byCol[col]
		if dv == nil {
			t.Fatalf("%s (%s): no validation", col, ind.ID)
		}
		wantType := "decimal"
		if ind.Type == rules.Integer {
			wantType = "whole"
		}
		if dv.Type != wantType || !dv.ShowInputMessage || dv.Prompt == nil || dv.Sqref != col+"2:"+col+"1001" {
			t.Errorf("%s: %+v", ind.ID, dv)
		}
		if ind.Min != nil && !strings.Contains(dv.Formula1, rules.FormatValue(*ind.Min)) {
			t.Errorf("%s: formula1 %q, min %v", ind.ID, dv.Formula1, *ind.Min)
		}
		if len([]rune(*dv.Prompt)) > 255 {
			t.Errorf("%s: input message of %d characters", ind.ID, len([]rune(*dv.Prompt)))
		}
	}
	// The percentage with bounds 0–150, and a message naming a rule.
	gross, _ := f.Indicator("preschool_gross_enrolment")
	col, _ := excelize.ColumnNumberToName(gross.Index + 3)
	if dv := byCol[col]; dv.Operator != "between" || dv.Formula2 != "150" {
		t.Errorf("毛入园率 validation %s %s..%s", dv.Operator, dv.Formula1, dv.Formula2)
	}
	kg, _ := f.Indicator("kindergartens_completed")
	col, _ = excelize.ColumnNumberToName(kg.Index + 3)
	if p := *byCol[col].Prompt; !strings.Contains(p, "相关规则") || !strings.Contains(p, "竣工幼儿园一般不多于开工数") {
		t.Errorf("竣工幼儿园数 input message %q", p)
	}
	rrows, _ := x.GetRows(SheetRules)
	if len(rrows) != len(f.Rules)+1 {
		t.Errorf("规则说明 has %d rows for %d rules", len(rrows)-1, len(f.Rules))
	}
	for _, r := range rrows[1:] {
		if strings.Contains(r[4], "{{") {
			t.Errorf("rule %s message not in plain words: %q", r[0], r[4])
		}
	}

	// Filled in and audited: every header is known, the figures are read.
	x.SetCellValue(SheetTemplate, "A2", "东区")
	x.SetCellValue(SheetTemplate, "B2", "2025H1")
	x.SetCellValue(SheetTemplate, "C2", 24)
	var filled bytes.Buffer
	if _, err := x.WriteTo(&filled); err != nil {
		t.Fatal(err)
	}
	rep := auditBytes(t, filled.Bytes(), FormatXLSX, Options{})
	if len(rep.Problems) != 0 || rep.Summary.Rows != 1 {
		t.Fatalf("filled template: %d rows, problems %v", rep.Summary.Rows, rep.Problems)
	}
}

// TestHeaderResolution: a header is an indicator's id, its name, or its
// name with its unit in brackets; a wrong unit and a 说明 column of an
// unknown rule are problems, and the column is left out.
func TestHeaderResolution(t *testing.T) {
	for _, c := range []struct {
		header  string
		known   bool
		problem string
	}{
		{"集中学习次数", true, ""},
		{"集中学习次数（次）", true, ""},
		{"集中学习次数(次)", true, ""},
		{"集中学习次数 ( 次 )", true, ""},
		{"party_study_sessions", true, ""},
		{"标准化建设投入资金（元）", false, "单位「元」与指标「标准化建设投入资金」的单位「万元」不同"},
		{"不存在（次）", false, "未知列"},
		{"说明:no.such_rule", false, "不存在"},
	} {
		t.Run(c.header, func(t *testing.T) {
			data := "单位,期间," + c.header + "\n东区,2025H1,24\n"
			rep := auditBytes(t, []byte(data), FormatCSV, Options{})
			var msgs []string
			for _, p := range rep.Problems {
				msgs = append(msgs, p.Message)
			}
			got := strings.Join(msgs, ";")
			if c.problem == "" && got != "" || c.problem != "" && !strings.Contains(got, c.problem) {
				t.Errorf("problems %q, want %q", got, c.problem)
			}
		})
	}
	// A 说明 column explains that row's warning, as explanations do in
	// /v1/check; an empty cell explains nothing.
	data := "单位,期间,开工建设幼儿园数,竣工幼儿园数,说明：edu.kindergarten_completed_le_started\n" +
		"东区,2025H1,2,5,含往年开工项目\n西区,2025H1,2,5,\n"
	rep := auditBytes(t, []byte(data), FormatCSV, Options{})
	explained := map[string]bool{}
	for _, r := range rep.Rows {
		for _, v := range r.Violations {
			if v.Rule == "edu.kindergarten_completed_le_started" {
				explained[r.Unit] = v.Explained && v.Explanation == "含往年开工项目"
			}
		}
	}
	if !explained["东区"] || explained["西区"] {
		t.Errorf("explained %v, want 东区 only", explained)
	}
}
