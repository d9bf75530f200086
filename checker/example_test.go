package checker_test

import (
	"fmt"
	"math"
	"strings"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

func ExampleChecker_Check() {
	rs, err := rules.LoadDir("testdata/form")
	if err != nil {
		fmt.Println(err)
		return
	}
	form, _ := rs.Form("demo")

	sub, err := checker.DecodeSubmission(strings.NewReader(`{
		"form": "demo", "unit": "某区教育体育局", "period": "2025H1",
		"figures": {
			"参赛项目数": "１２", "金牌数": 15, "银牌数": "xx", "运动员人数": 40,
			"专项资金": "1,800", "本科上线率": "81.5%", "本科上线率较去年提高": 2
		},
		"explanations": {"sport.spend_per_event": "含场馆维修资金"}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}

	var c checker.Checker
	r := c.Check(form, sub)
	fmt.Println("verdict:", r.Verdict)
	for _, v := range r.Violations {
		fmt.Printf("%s %s: %s", v.Severity, v.Rule, v.Message)
		if v.Explained {
			fmt.Printf(" (已说明: %s)", v.Explanation)
		}
		fmt.Println()
	}
	for _, s := range r.Skipped {
		fmt.Printf("skipped %s: %s %v%v\n", s.Rule, s.Reason, s.Missing, s.Invalid)
	}
	fmt.Printf("%d rules: %d passed, %d skipped\n", r.Summary.Rules, r.Summary.Passed, r.Summary.Skipped)
	// Output:
	// verdict: fail
	// error builtin.placeholder: 「银牌数」仍是模板占位符“xx”，请填写实际数字
	// error sport.gold_le_events: 金牌15枚多于参赛项目12项
	// warning sport.spend_per_event: 每个项目平均资金150万元,偏高 (已说明: 含场馆维修资金)
	// skipped edu.delta: missing [previous.pass_rate][]
	// skipped sport.silver_ge_gold: invalid [][silver]
	// 6 rules: 2 passed, 2 skipped
}

// A batch reader keeps each row's figures by indicator index; CheckValues
// checks them without a map per row. Cells that are not plain numbers go
// in Raw, as written.
func ExampleChecker_CheckValues() {
	rs, err := rules.LoadDir("testdata/form")
	if err != nil {
		fmt.Println(err)
		return
	}
	form, _ := rs.Form("demo")
	nan := math.NaN()
	idx := func(id string) int { ind, _ := form.Indicator(id); return ind.Index }

	nums := make([]float64, len(form.Indicators))
	prev := make([]float64, len(form.Indicators))
	for i := range nums {
		nums[i], prev[i] = nan, nan
	}
	nums[idx("events")], nums[idx("gold")], nums[idx("pass_rate")], nums[idx("pass_rate_delta")] = 12, 15, 81.5, 3
	prev[idx("pass_rate")] = 79.5
	raw := make([]any, len(form.Indicators))
	raw[idx("spend")] = "1,800"

	var c checker.Checker
	r := c.CheckValues(form, &checker.Values{Unit: "某区", Period: "2025H1", Nums: nums, Raw: raw, Prev: prev}, "")
	for _, v := range r.Violations {
		fmt.Printf("%s %s: %s\n", v.Severity, v.Rule, v.Message)
	}
	// Output:
	// error edu.delta: 本科上线率81.5%减去年79.5%为2,与填报的3不符
	// error sport.gold_le_events: 金牌15枚多于参赛项目12项
	// warning sport.spend_per_event: 每个项目平均资金150万元,偏高
}

// Every JSON body figcheck reads goes through the same strict decoder: a
// key in another case, or given twice, is an error with its place.
func ExampleDecodeJSON() {
	var req struct {
		Form string `json:"form"`
		Text string `json:"text"`
	}
	for _, body := range []string{
		`{"form":"demo","text":"金牌15枚"}`,
		`{"FORM":"x","form":"demo"}`,
		`{"form":"demo","text":"a","text":"b"}`,
	} {
		if err := checker.DecodeJSON([]byte(body), &req, "the body must be {form, text}"); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(req.Form, req.Text)
	}
	// Output:
	// demo 金牌15枚
	// the body must be {form, text}: unknown field "FORM"
	// the body must be {form, text}: malformed JSON at byte 26 (/text): duplicate object member name
}
