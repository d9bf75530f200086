package api

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
)

func TestZZGen(t *testing.T) {
	rs, err := configs.LoadRules("../configs/forms")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := rs.Form("edu_sports_halfyear")
	figs := map[string]any{}
	if b, err := os.ReadFile("testdata/full.json"); err == nil {
		var s checker.Submission
		json.Unmarshal(b, &s)
		figs = s.Figures
	}
	for _, ind := range f.Indicators {
		if _, ok := figs[ind.ID]; ok {
			continue
		}
		switch ind.Type.String() {
		case "percent":
			figs[ind.ID] = 95
		case "integer":
			figs[ind.ID] = 10
		default:
			figs[ind.ID] = 100
		}
	}
	var c checker.Checker
	r := c.Check(f, &checker.Submission{Form: f.ID, Unit: "u", Period: "2025H1", Figures: figs})
	for _, v := range r.Violations {
		fmt.Println(v.Rule, v.Severity, v.Message, v.Fields)
	}
	fmt.Println(r.Verdict, r.Summary)
	out, _ := json.MarshalIndent(checker.Submission{Form: f.ID, Unit: "示例区教育体育局", Period: "2025H1", Figures: figs}, "", "  ")
	os.WriteFile("testdata/full.json", out, 0o644)
}
