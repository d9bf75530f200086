package sqlcheck_test

import (
	"fmt"
	"strings"
	"testing/fstest"

	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/sqlcheck"
)

func ExampleBuild() {
	src := `form: medals
indicators:
  - {id: gold_medals, name: 金牌数, type: integer, min: 0}
  - {id: events_entered, name: 参赛项目数, type: integer, min: 0}
rules:
  - id: gold_le_events
    name: 金牌数不超过参赛项目数
    severity: error
    expr: 金牌数 <= 参赛项目数
    message: '金牌{{金牌数}}枚多于参赛项目{{参赛项目数}}项'
  - id: medals_in_list
    name: 金牌数为常见值
    severity: info
    expr: 金牌数 in [0, 1, 2]
    message: '金牌{{金牌数}}枚'
`
	rs, err := rules.LoadFS(fstest.MapFS{"medals.yaml": {Data: []byte(src)}}, ".", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := rs.Form("medals")
	q, err := sqlcheck.Build(f, sqlcheck.Options{Dialect: "duckdb", Table: "units"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range q.Untranslated {
		fmt.Printf("not translated: %s (%s)\n", u.Rule, u.Reason)
	}
	// The header lists what the query leaves out; each rule is a CASE.
	for _, line := range strings.Split(q.SQL, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-- rules") || strings.HasPrefix(line, "--   ") || strings.HasPrefix(line, "WHEN") {
			fmt.Println(line)
		}
	}
	// Output:
	// not translated: medals_in_list (expr: no SQL translation: array expression)
	// -- rules evaluated: 1 of 2, with builtin.required, builtin.range and builtin.type
	// --   medals_in_list: expr: no SQL translation: array expression
	// WHEN c_gold_medals IS NULL OR c_events_entered IS NULL THEN 'I'
	// WHEN NOT (c_gold_medals <= c_events_entered) THEN 'V'
}
