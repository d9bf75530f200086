package rulefmt_test

import (
	"fmt"

	"github.com/figcheck/figcheck/rules/rulefmt"
)

// Parse reports every structural problem of a file with its position, and
// still returns what it could read: here the rule without its message, so
// that the compiler can report the problems of its expression in the same
// load.
func ExampleParse() {
	src := `form: demo
indicators:
  - {id: gold, name: 金牌数, type: integer, colour: red}
rules:
  - {id: r.gold, name: 金牌, severity: error, expr: 金牌数 >= 0}
`
	f, err := rulefmt.Parse("demo.yaml", []byte(src))
	for _, p := range rulefmt.Problems(err) {
		fmt.Println(p)
	}
	r := f.Rules[0]
	fmt.Println(r.ID.Value, r.Expr.Value, r.Expr.Pos, r.Message.Given())
	// Output:
	// demo.yaml:3:42: indicator: unknown key "colour"
	// demo.yaml:5:5: rule: missing required key "message"
	// r.gold 金牌数 >= 0 demo.yaml:5:51 false
}
