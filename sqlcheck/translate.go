package sqlcheck

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
	"github.com/figcheck/figcheck/rules"
)

// ErrUntranslatable marks an expression that uses something this package
// has no SQL for. Such a rule is listed in the query's header and in
// Query.Untranslated, never silently left out.
var ErrUntranslatable = errors.New("no SQL translation")

// term is a translated expression: the SQL of its value and, when its
// evaluation can fail (a zero divisor, a negative tolerance, reversed
// bounds), the SQL of a condition that is true exactly when it fails.
//
// Why a separate condition rather than letting the engine fail: a SQL
// error would abort the whole query, where figcheck makes only that rule
// of that row an evaluation error. Values are computed so that the engine
// never raises (NULLIF around every divisor); a value is only read when
// its fail condition is false, and then every input is non-NULL, so the
// three-valued logic of SQL never shows.
type term struct {
	sql     string
	fail    string // "" when the expression cannot fail
	boolean bool
	// konst is the value of a number literal, so that checks on constant
	// arguments (a bound, a tolerance, a divisor) are decided here.
	konst *float64
}

// check is the fail condition "cond", or none when the arguments it reads
// are constants for which static(...) is false; "TRUE" when it is true.
func check(cond string, static func(...float64) bool, args ...term) string {
	xs := make([]float64, len(args))
	for i, a := range args {
		if a.konst == nil {
			return cond
		}
		xs[i] = *a.konst
	}
	if static(xs...) {
		return "TRUE"
	}
	return ""
}

func (t term) failOr() string {
	if t.fail == "" {
		return "FALSE"
	}
	return t.fail
}

// anyFail is the fail condition of terms all evaluated.
func anyFail(ts ...term) string {
	var parts []string
	for _, t := range ts {
		if t.fail != "" {
			parts = append(parts, t.fail)
		}
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// parserConfig parses as figcheck compiles: its own helpers replace expr's
// builtins of the same name (sum).
var parserConfig = func() *conf.Config {
	c := conf.CreateNew()
	for _, name := range rules.RowHelpers() {
		// A stand-in: the parser only needs to know the name is taken.
		expr.Function(name, func(...any) (any, error) { return nil, nil })(c)
		c.Disabled[name] = true
	}
	return c
}()

// translator turns one rule expression into SQL over the columns the
// query names after the indicators.
type translator struct {
	form *rules.Form
	d    *Dialect
	cur  func(*rules.Indicator) string // SQL of a current figure
	prev func(*rules.Indicator) string // SQL of a previous-period figure
}

// newTranslator names figures as the query's columns: c_<key> for the
// period checked, p_<key> for the previous one.
func newTranslator(f *rules.Form, d *Dialect) *translator {
	return &translator{form: f, d: d,
		cur:  func(ind *rules.Indicator) string { return "c_" + key(ind) },
		prev: func(ind *rules.Indicator) string { return "p_" + key(ind) },
	}
}

// boolean translates source that must be a boolean expression.
func (tr *translator) boolean(src string) (term, error) {
	tree, err := parser.ParseWithConfig(src, parserConfig)
	if err != nil {
		return term{}, fmt.Errorf("parsing: %w", err)
	}
	t, err := tr.node(tree.Node)
	if err != nil {
		return term{}, err
	}
	if !t.boolean {
		return term{}, fmt.Errorf("%w: the expression is not a condition", ErrUntranslatable)
	}
	return t, nil
}

func untranslatable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUntranslatable, fmt.Sprintf(format, args...))
}

func (tr *translator) node(n ast.Node) (term, error) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		x := float64(n.Value)
		return term{sql: tr.d.number(x), konst: &x}, nil
	case *ast.FloatNode:
		x := n.Value
		return term{sql: tr.d.number(x), konst: &x}, nil
	case *ast.BoolNode:
		return term{sql: strings.ToUpper(strconv.FormatBool(n.Value)), boolean: true}, nil
	case *ast.IdentifierNode:
		return tr.figure(n.Value)
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, ok2 := n.Property.(*ast.StringNode)
		if !ok || !ok2 || id.Value != "previous" {
			return term{}, untranslatable("member access other than previous.<indicator>")
		}
		return tr.figure("previous." + prop.Value)
	case *ast.UnaryNode:
		return tr.unary(n)
	case *ast.BinaryNode:
		return tr.binary(n)
	case *ast.ConditionalNode:
		return tr.conditional(n)
	case *ast.CallNode:
		callee, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return term{}, untranslatable("call of a computed function")
		}
		return tr.call(callee.Value, n.Arguments)
	case *ast.BuiltinNode:
		// figcheck disables expr's own sum; a bare parse still sees it
		// as a builtin, so every name goes through the one table.
		return tr.call(n.Name, n.Arguments)
	}
	kind := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."), "Node")
	return term{}, untranslatable("%s expression", strings.ToLower(kind))
}

// figure is a name read in an expression, resolved as the form resolves
// every key (Form.Resolve).
func (tr *translator) figure(name string) (term, error) {
	ind, previous, ok := tr.form.Resolve(name)
	switch {
	case !ok:
		return term{}, untranslatable("unknown name %q", name)
	case previous:
		return term{sql: tr.prev(ind)}, nil
	}
	return term{sql: tr.cur(ind)}, nil
}

func (tr *translator) unary(n *ast.UnaryNode) (term, error) {
	x, err := tr.node(n.Node)
	if err != nil {
		return term{}, err
	}
	switch n.Operator {
	case "!", "not":
		if !x.boolean {
			return term{}, untranslatable("%s of a number", n.Operator)
		}
		return term{sql: "(NOT " + x.sql + ")", fail: x.fail, boolean: true}, nil
	case "-":
		if !x.boolean {
			t := term{sql: "(-" + x.sql + ")", fail: x.fail}
			if x.konst != nil {
				v := -*x.konst
				t.konst = &v
			}
			return t, nil
		}
	case "+":
		if !x.boolean {
			return x, nil
		}
	}
	return term{}, untranslatable("unary %s", n.Operator)
}

var comparisons = map[string]string{"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}

func (tr *translator) binary(n *ast.BinaryNode) (term, error) {
	if n.Operator == "/" {
		// figcheck evaluates a / b as ratio(a, b): a zero b is an error.
		return tr.call("ratio", []ast.Node{n.Left, n.Right})
	}
	l, err := tr.node(n.Left)
	if err != nil {
		return term{}, err
	}
	r, err := tr.node(n.Right)
	if err != nil {
		return term{}, err
	}
	switch n.Operator {
	case "&&", "and", "||", "or":
		if !l.boolean || !r.boolean {
			return term{}, untranslatable("%s of numbers", n.Operator)
		}
		and := n.Operator == "&&" || n.Operator == "and"
		op, taken := " OR ", "(NOT "+l.sql+")"
		if and {
			op, taken = " AND ", l.sql
		}
		// Short-circuit as Go does: the right side runs, and so can
		// fail, only when the left side does not decide.
		t := term{sql: "(" + l.sql + op + r.sql + ")", boolean: true}
		switch {
		case r.fail != "":
			t.fail = "(" + l.failOr() + " OR (" + taken + " AND " + r.fail + "))"
		case l.fail != "":
			t.fail = l.fail
		}
		return t, nil
	case "+", "-", "*":
		if l.boolean || r.boolean {
			return term{}, untranslatable("%s of conditions", n.Operator)
		}
		return term{sql: "(" + l.sql + " " + n.Operator + " " + r.sql + ")", fail: anyFail(l, r)}, nil
	}
	op, ok := comparisons[n.Operator]
	if !ok {
		return term{}, untranslatable("operator %s", n.Operator)
	}
	if l.boolean != r.boolean || (l.boolean && op != "=" && op != "<>") {
		return term{}, untranslatable("%s between a condition and a number", n.Operator)
	}
	return term{sql: "(" + l.sql + " " + op + " " + r.sql + ")", fail: anyFail(l, r), boolean: true}, nil
}

func (tr *translator) conditional(n *ast.ConditionalNode) (term, error) {
	c, err := tr.node(n.Cond)
	if err != nil {
		return term{}, err
	}
	a, err := tr.node(n.Exp1)
	if err != nil {
		return term{}, err
	}
	b, err := tr.node(n.Exp2)
	if err != nil {
		return term{}, err
	}
	if !c.boolean || a.boolean != b.boolean {
		return term{}, untranslatable("conditional of mixed types")
	}
	t := term{sql: "(CASE WHEN " + c.sql + " THEN " + a.sql + " ELSE " + b.sql + " END)", boolean: a.boolean}
	if c.fail != "" || a.fail != "" || b.fail != "" {
		// Only the branch taken runs.
		t.fail = "(" + c.failOr() + " OR (CASE WHEN " + c.sql + " THEN " + a.failOr() + " ELSE " + b.failOr() + " END))"
	}
	return t, nil
}

// helper is the SQL of one function rules may call. Every one takes
// numbers; args are already translated.
type helper struct {
	arity int // -1: one or more
	sql   func(d *Dialect, args []term) term
}

// helpers is the one table of functions translated to SQL: figcheck's
// helpers (rules/helpers.go) and the expr builtins its fast path runs.
// A name missing here makes the rule untranslatable.
var helpers = map[string]helper{
	// approx(a, b, tol): |a-b| <= tol + 1e-9, the epsilon figcheck adds
	// for float noise; a negative tolerance is an error.
	"approx": {3, func(d *Dialect, a []term) term {
		return term{
			sql:     "(abs(" + a[0].sql + " - " + a[1].sql + ") <= " + a[2].sql + " + " + d.number(1e-9) + ")",
			fail:    or(anyFail(a...), check("("+a[2].sql+" < 0)", func(x ...float64) bool { return x[0] < 0 }, a[2])),
			boolean: true,
		}
	}},
	// between(x, lo, hi): lo <= x <= hi; lo > hi is an error.
	"between": {3, func(d *Dialect, a []term) term {
		return term{
			sql:     "(" + a[1].sql + " <= " + a[0].sql + " AND " + a[0].sql + " <= " + a[2].sql + ")",
			fail:    or(anyFail(a...), check("("+a[1].sql+" > "+a[2].sql+")", func(x ...float64) bool { return x[0] > x[1] }, a[1], a[2])),
			boolean: true,
		}
	}},
	// sum(a, b, ...): added left to right, as Go does.
	"sum": {-1, func(d *Dialect, a []term) term {
		return term{sql: "(" + strings.Join(sqls(a), " + ") + ")", fail: anyFail(a...)}
	}},
	// ratio(a, b) = a/b and share(a, b) = a/b*100; a zero b is an error.
	// NULLIF keeps the engine from raising its own division error.
	"ratio": {2, func(d *Dialect, a []term) term {
		return term{sql: "(" + a[0].sql + " / NULLIF(" + a[1].sql + ", 0))", fail: or(anyFail(a...), zeroDivisor(a[1]))}
	}},
	"share": {2, func(d *Dialect, a []term) term {
		return term{sql: "(" + a[0].sql + " / NULLIF(" + a[1].sql + ", 0) * 100)", fail: or(anyFail(a...), zeroDivisor(a[1]))}
	}},
	"abs":   {1, func(d *Dialect, a []term) term { return term{sql: "abs(" + a[0].sql + ")", fail: a[0].fail} }},
	"ceil":  {1, func(d *Dialect, a []term) term { return term{sql: "ceil(" + a[0].sql + ")", fail: a[0].fail} }},
	"floor": {1, func(d *Dialect, a []term) term { return term{sql: "floor(" + a[0].sql + ")", fail: a[0].fail} }},
	// round is Go's math.Round, half away from zero. Neither engine's
	// round(double) is that everywhere (PostgreSQL rounds half to even),
	// and floor(x + 0.5) is off for 0.49999999999999994; the fraction
	// x - trunc(x) is exact, so comparing it with 0.5 is too.
	"round": {1, func(d *Dialect, a []term) term {
		x := a[0].sql
		return term{
			sql:  "(CASE WHEN abs(" + x + " - trunc(" + x + ")) >= 0.5 THEN trunc(" + x + ") + sign(" + x + ") ELSE trunc(" + x + ") END)",
			fail: a[0].fail,
		}
	}},
	"min": {-1, func(d *Dialect, a []term) term { return minMax("least", a) }},
	"max": {-1, func(d *Dialect, a []term) term { return minMax("greatest", a) }},
}

func zeroDivisor(b term) string {
	return check("("+b.sql+" = 0)", func(x ...float64) bool { return x[0] == 0 }, b)
}

func minMax(fn string, a []term) term {
	if len(a) == 1 {
		return a[0]
	}
	return term{sql: fn + "(" + strings.Join(sqls(a), ", ") + ")", fail: anyFail(a...)}
}

func sqls(ts []term) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.sql
	}
	return out
}

func or(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return "(" + a + " OR " + b + ")"
}

func (tr *translator) call(name string, args []ast.Node) (term, error) {
	h, ok := helpers[name]
	if !ok {
		return term{}, untranslatable("function %s", name)
	}
	if (h.arity >= 0 && len(args) != h.arity) || len(args) == 0 {
		return term{}, untranslatable("%s with %d arguments", name, len(args))
	}
	ts := make([]term, len(args))
	for i, a := range args {
		t, err := tr.node(a)
		if err != nil {
			return term{}, err
		}
		if t.boolean {
			return term{}, untranslatable("%s of a condition", name)
		}
		ts[i] = t
	}
	return h.sql(tr.d, ts), nil
}
