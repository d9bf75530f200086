package checker_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

func TestScratch(t *testing.T) {
	rs, err := rules.LoadDir("testdata/form")
	if err != nil {
		t.Fatal(err)
	}
	f := rs.Forms["demo"]
	var c checker.Checker
	for _, tr := range c.RunTests(f) {
		fmt.Println(tr)
	}
	s := &checker.Submission{Form: "demo", Figures: map[string]any{"gold": 5, "events": 3, "spend": 10, "athletes": 0, "金牌": 1, "pass_rate": "xx%", "silver": "1,2"}, Explanations: map[string]string{"zz": "a", "yy": "b", "sport.gold_le_events": "x"}}
	r := c.Check(f, s)
	b, _ := json.MarshalIndent(r, "", "  ")
	fmt.Println(string(b))
}
