package audit

import (
	"fmt"
	"testing"
	"sort"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
)

func TestScratchBase(t *testing.T) {
	rs, err := configs.LoadRules("../configs/forms")
	if err != nil { t.Fatal(err) }
	f, _ := rs.Form("edu_sports_halfyear")
	figs := map[string]any{}
	prev := map[string]any{}
	for _, r := range f.Rules {
		for _, tc := range r.Tests {
			if tc.Expect != "pass" { continue }
			for k, v := range tc.Figures { if _, ok := figs[k]; !ok { figs[k] = v } }
			for k, v := range tc.Previous { if _, ok := prev[k]; !ok { prev[k] = v } }
		}
	}
	var c checker.Checker
	res := c.Check(f, &checker.Submission{Form: f.ID, Figures: figs, Previous: prev})
	for _, v := range res.Violations { fmt.Println(v.Rule, v.Message) }
	keys := []string{}
	for _, ind := range f.Indicators { keys = append(keys, ind.ID) }
	sort.Strings(keys)
	for _, ind := range f.Indicators { fmt.Printf("%s\t%s\t%v\t%v\n", ind.ID, ind.Type, figs[ind.ID], prev[ind.ID]) }
	fmt.Println(res.Summary)
}
