package rules_test

import (
	"fmt"

	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

func ExampleLoadDir() {
	rs, err := rules.LoadDir("testdata/split")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range rs.FormIDs() {
		f, _ := rs.Form(id)
		fmt.Printf("%s %s: %d indicators, %d rules\n", f.ID, f.Title, len(f.Indicators), len(f.Rules))
		for _, r := range f.Rules {
			fmt.Printf("  %s (%s) reads", r.ID, r.Severity)
			for _, ind := range r.Uses {
				fmt.Printf(" %s", ind.Name)
			}
			fmt.Println()
		}
	}
	// Output:
	// split_demo 拆分表: 3 indicators, 2 rules
	//   edu.new_le_total (error) reads 学校数 新建学校数
	//   edu.teachers_per_school (warning) reads 学校数 教师数
}

func ExampleLoadDir_problems() {
	_, err := rules.LoadDir("testdata/mixed")
	for _, p := range rules.Problems(err) {
		fmt.Println(p)
	}
	// Output:
	// testdata/mixed/a.yaml:8:16: rule r.one: expr: unknown name b
	// testdata/mixed/b.yaml:3:1: YAML syntax: found character that cannot start any token
	// testdata/mixed/c.yml:3:37: indicator: unknown key "colour"
}

func ExampleParse() {
	src := `form: demo
indicators:
  - {id: gold, name: 金牌数, type: integer}
  - {id: events, name: 参赛项目数, type: integer}
rules:
  - id: sport.gold_le_events
    name: 金牌数不超过参赛项目数
    severity: error
    expr: 金牌数 <= 参赛项目
    message: 金牌{{金牌数}}枚多于参赛项目{{参赛项目数}}项
`
	f, err := rulefmt.Parse("demo.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Form, len(f.Indicators), "indicators,", len(f.Rules), "rule")
	_, err = rules.Compile([]*rulefmt.File{f})
	fmt.Println(err)
	// Output:
	// demo 2 indicators, 1 rule
	// demo.yaml:9:18: rule sport.gold_le_events: expr: unknown name 参赛项目
}
