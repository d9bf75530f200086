package rules_test

import (
	"math"
	"testing"

	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

// TestEvalBatchColumns: values(rows, "name") reads a column, so a batch
// rule that reads rows only so needs no map per row (ReadsRows false);
// one that filters rows does. Both give their verdict and message.
func TestEvalBatchColumns(t *testing.T) {
	f, err := rulefmt.Parse("t.yaml", []byte(`form: t
indicators:
  - {id: profit, name: 利润, type: number}
  - {id: staff, name: 人数, type: integer}
rules:
  - id: b.mean
    scope: batch
    name: 平均利润为正
    severity: warning
    expr: mean(values(rows, "利润")) >= 1
    message: '平均利润{{mean(values(rows, "profit"))}}'
  - id: b.filtered
    scope: batch
    name: 有人的单位至少两个
    severity: info
    expr: len(filter(rows, (.staff ?? 0) > 0)) >= 2
    message: '{{len(values(rows, "staff"))}}'
`))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Compile([]*rulefmt.File{f})
	if err != nil {
		t.Fatal(err)
	}
	form, _ := rs.Form("t")
	if r := form.BatchRules; r[0].ReadsRows || !r[1].ReadsRows {
		t.Fatalf("ReadsRows %v %v, want false true", r[0].ReadsRows, r[1].ReadsRows)
	}
	nan := math.NaN()
	out := form.EvalBatch(&rules.Batch{Period: "p", Units: []string{"a", "b", "c"},
		Columns: [][]float64{{-3, nan, 0}, {5, 0, nan}}})
	if len(out) != 2 || out[0].OK || out[0].Err != nil || out[0].Message != "平均利润-1.5" {
		t.Errorf("b.mean: %+v", out[0])
	}
	if out[1].OK || out[1].Err != nil || out[1].Message != "2" {
		t.Errorf("b.filtered: %+v", out[1])
	}
}
