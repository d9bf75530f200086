package rules

import (
	"fmt"
	"math"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"go.yaml.in/yaml/v3"
)

// Rule scopes: a row rule checks one unit's submission; a batch rule checks
// all rows of one period of an audit batch.
const (
	ScopeRow   = "row"
	ScopeBatch = "batch"
)

// HierarchyDef is a hierarchy check as written in a form file: the total
// unit's figures must equal the sum of its parts.
type HierarchyDef struct {
	Pos              Pos
	ID               Str
	Name             Str
	Severity         Str
	Total            Str
	Parts            []Str
	Indicators       []Str
	Tolerance        *float64
	TolerancePercent *float64
}

// JumpDef is a period-over-period jump threshold as written in a form file.
type JumpDef struct {
	Pos        Pos
	ID         Str
	Name       Str
	Severity   Str
	Indicators []Str
	MaxChange  *float64
	MaxPoints  *float64
	MinValue   *float64
}

// Hierarchy says that, in every period, the unit named Total reports for
// each listed indicator the sum of the figures of its parts (Parts, or every
// other unit of the period when Parts is empty), within Tolerance (absolute)
// or TolerancePercent (of the total), whichever is larger.
type Hierarchy struct {
	ID               string
	Name             string
	Severity         Severity
	Total            string
	Parts            []string
	Indicators       []*Indicator
	Tolerance        float64
	TolerancePercent float64
	Pos              Pos
}

// Jump bounds the change of the listed indicators between a unit's
// consecutive periods: MaxChange in percent of the earlier value, MaxPoints
// as an absolute difference (for percentages). Zero means no bound. Pairs
// where both values are below MinValue are ignored.
type Jump struct {
	ID         string
	Name       string
	Severity   Severity
	Indicators []*Indicator
	MaxChange  float64
	MaxPoints  float64
	MinValue   float64
	Pos        Pos
}

func (d *decoder) hierarchy(n *yaml.Node) HierarchyDef {
	h := HierarchyDef{Pos: d.pos(n)}
	d.mapping(n, "hierarchy", []string{"id", "name", "severity", "total", "indicators"}, map[string]func(*yaml.Node){
		"id":       func(v *yaml.Node) { h.ID = d.str(v) },
		"name":     func(v *yaml.Node) { h.Name = d.str(v) },
		"severity": func(v *yaml.Node) { h.Severity = d.str(v) },
		"total":    func(v *yaml.Node) { h.Total = d.str(v) },
		"parts": func(v *yaml.Node) {
			d.seq(v, "parts", func(c *yaml.Node) { h.Parts = append(h.Parts, d.str(c)) })
		},
		"indicators": func(v *yaml.Node) {
			d.seq(v, "indicators", func(c *yaml.Node) { h.Indicators = append(h.Indicators, d.str(c)) })
		},
		"tolerance":         func(v *yaml.Node) { h.Tolerance = d.number(v) },
		"tolerance_percent": func(v *yaml.Node) { h.TolerancePercent = d.number(v) },
	})
	return h
}

func (d *decoder) jump(n *yaml.Node) JumpDef {
	j := JumpDef{Pos: d.pos(n)}
	d.mapping(n, "jump", []string{"id", "name", "severity", "indicators"}, map[string]func(*yaml.Node){
		"id":       func(v *yaml.Node) { j.ID = d.str(v) },
		"name":     func(v *yaml.Node) { j.Name = d.str(v) },
		"severity": func(v *yaml.Node) { j.Severity = d.str(v) },
		"indicators": func(v *yaml.Node) {
			d.seq(v, "indicators", func(c *yaml.Node) { j.Indicators = append(j.Indicators, d.str(c)) })
		},
		"max_change": func(v *yaml.Node) { j.MaxChange = d.number(v) },
		"max_points": func(v *yaml.Node) { j.MaxPoints = d.number(v) },
		"min_value":  func(v *yaml.Node) { j.MinValue = d.number(v) },
	})
	return j
}

// batchEnv is the environment batch expressions are type-checked against.
func batchEnv() map[string]any {
	return map[string]any{"rows": []any{}, "period": ""}
}

// BatchEnv builds the evaluation environment of a batch rule: rows holds
// one map per unit (indicator id to float64, plus "unit" and "period").
func BatchEnv(period string, rows []any) map[string]any {
	return map[string]any{"rows": rows, "period": period}
}

func (c *compiler) batchRule(f *Form, def RuleDef, seen map[string]*Rule) *Rule {
	r := &Rule{
		ID: def.ID.Value, Name: def.Name.Value, Expr: def.Expr.Value, When: def.When.Value,
		Tags: def.Tags, Pos: def.Pos, Scope: ScopeBatch,
	}
	n := len(c.list)
	switch {
	case !ruleIDRe.MatchString(r.ID):
		c.add(def.ID.Pos, "rule %s: id must be lowercase ascii words joined by dots or underscores", r.ID)
	case strings.HasPrefix(r.ID, "builtin."):
		c.add(def.ID.Pos, "rule id %q: the builtin. prefix is reserved", r.ID)
	}
	if prev, dup := seen[r.ID]; dup {
		c.add(def.ID.Pos, "duplicate rule id %q (first defined at %s)", r.ID, prev.Pos)
	} else if prev, dup := f.ruleByID[r.ID]; dup {
		c.add(def.ID.Pos, "duplicate rule id %q (first defined at %s)", r.ID, prev.Pos)
	}
	if strings.TrimSpace(r.Name) == "" {
		c.add(def.Name.Pos, "rule %s: name must not be empty", r.ID)
	}
	if err := r.Severity.UnmarshalText([]byte(def.Severity.Value)); err != nil {
		c.add(def.Severity.Pos, "rule %s: severity must be error, warning or info, got %q", r.ID, def.Severity.Value)
	}
	if len(def.Tests) > 0 {
		c.add(def.Tests[0].Pos, "rule %s: tests are not supported on batch rules", r.ID)
	}
	env := batchEnv()
	uses := &usage{form: f, batch: true}
	r.Program = c.expr(r.ID, "expr", def.Expr, env, uses, expr.AsBool())
	if strings.TrimSpace(def.When.Value) != "" {
		r.WhenProgram = c.expr(r.ID, "when", def.When, env, uses, expr.AsBool())
	}
	r.Message = c.template(r.ID, def.Message, env, uses)
	r.Uses, _ = uses.sorted()
	if len(c.list) > n {
		return nil
	}
	return r
}

// batchVisit resolves indicator names in a batch expression: a member of a
// row (r.金牌数, .gold_medals) and the name given to values(rows, "name")
// become the indicator id. "/" becomes the zero-checking ratio.
func (u *usage) batchVisit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			return
		}
		if ind, ok := u.form.Indicator(prop.Value); ok {
			u.mark(&u.cur, ind)
			prop.Value = ind.ID
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || id.Value != "values" || len(n.Arguments) != 2 {
			return
		}
		name, ok := n.Arguments[1].(*ast.StringNode)
		if !ok {
			u.fail(n, "values needs an indicator name in quotes, as in values(rows, \"金牌数\")")
			return
		}
		ind, ok := u.form.Indicator(name.Value)
		if !ok {
			u.fail(n, "unknown indicator %q in values", name.Value)
			return
		}
		u.mark(&u.cur, ind)
		name.Value = ind.ID
	case *ast.BinaryNode:
		if n.Operator == "/" {
			ast.Patch(node, &ast.CallNode{
				Callee:    &ast.IdentifierNode{Value: "ratio"},
				Arguments: []ast.Node{n.Left, n.Right},
			})
		}
	}
}

// batchHelperOptions are the functions of batch expressions: the row
// helpers except the variadic sum (expr's sum over a list is kept), and
// the list helpers values, maxrepeat and distinct.
var batchHelperOptions = []expr.Option{
	expr.Function("approx", approx, new(func(float64, float64, float64) bool)),
	expr.Function("between", between, new(func(float64, float64, float64) bool)),
	expr.Function("ratio", ratio, new(func(float64, float64) float64)),
	expr.Function("share", share, new(func(float64, float64) float64)),
	expr.Function("values", values, new(func([]any, string) []any)),
	expr.Function("maxrepeat", maxrepeat, new(func([]any, float64) float64)),
	expr.Function("distinct", distinct, new(func([]any) float64)),
}

// values(rows, "id") lists the figure of every row that has it.
func values(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("values: expected 2 arguments, got %d", len(args))
	}
	rows, _ := args[0].([]any)
	key, _ := args[1].(string)
	out := make([]any, 0, len(rows))
	for _, r := range rows {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		if v, ok := m[key].(float64); ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// maxrepeat(list, min) is how many times the most repeated value whose
// magnitude is at least min occurs in list.
func maxrepeat(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("maxrepeat: expected 2 arguments, got %d", len(args))
	}
	list, _ := args[0].([]any)
	lo, err := num(args[1])
	if err != nil {
		return nil, fmt.Errorf("maxrepeat: %w", err)
	}
	counts := map[float64]int{}
	best := 0
	for _, v := range list {
		x, err := num(v)
		if err != nil || math.Abs(x) < lo {
			continue
		}
		counts[x]++
		best = max(best, counts[x])
	}
	return float64(best), nil
}

// distinct(list) is the number of different values in list.
func distinct(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("distinct: expected 1 argument, got %d", len(args))
	}
	list, _ := args[0].([]any)
	seen := map[any]bool{}
	for _, v := range list {
		seen[v] = true
	}
	return float64(len(seen)), nil
}

// auditChecks compiles the hierarchy and jump sections of a form's files.
func (c *compiler) auditChecks(f *Form, files []*File) {
	ids := map[string]Pos{}
	batch := map[string]bool{}
	for _, r := range f.BatchRules {
		batch[r.ID] = true
	}
	checkID := func(s Str, what string) {
		switch {
		case !ruleIDRe.MatchString(s.Value):
			c.add(s.Pos, "%s id %q must be lowercase ascii words joined by dots or underscores", what, s.Value)
		case f.ruleByID[s.Value] != nil || batch[s.Value]:
			c.add(s.Pos, "%s id %q is already a rule id", what, s.Value)
		}
		if p, dup := ids[s.Value]; dup {
			c.add(s.Pos, "duplicate %s id %q (first defined at %s)", what, s.Value, p)
		}
		ids[s.Value] = s.Pos
	}
	inds := func(owner string, list []Str) []*Indicator {
		if len(list) == 0 {
			return nil
		}
		out := make([]*Indicator, 0, len(list))
		seen := map[int]bool{}
		for _, s := range list {
			ind, ok := f.Indicator(s.Value)
			switch {
			case !ok:
				c.add(s.Pos, "%s: unknown indicator %q", owner, s.Value)
			case seen[ind.Index]:
				c.add(s.Pos, "%s: indicator %q listed twice", owner, s.Value)
			default:
				seen[ind.Index] = true
				out = append(out, ind)
			}
		}
		return out
	}
	severity := func(owner string, s Str) Severity {
		var sev Severity
		if err := sev.UnmarshalText([]byte(s.Value)); err != nil {
			c.add(s.Pos, "%s: severity must be error, warning or info, got %q", owner, s.Value)
		}
		return sev
	}
	nonNeg := func(owner, key string, p *float64, at Pos) float64 {
		if p == nil {
			return 0
		}
		if *p < 0 {
			c.add(at, "%s: %s must not be negative", owner, key)
		}
		return *p
	}
	for _, file := range files {
		for _, def := range file.Hierarchy {
			owner := "hierarchy " + def.ID.Value
			checkID(def.ID, "hierarchy")
			h := &Hierarchy{
				ID: def.ID.Value, Name: def.Name.Value, Severity: severity(owner, def.Severity),
				Total: strings.TrimSpace(def.Total.Value), Indicators: inds(owner, def.Indicators),
				Tolerance:        nonNeg(owner, "tolerance", def.Tolerance, def.Pos),
				TolerancePercent: nonNeg(owner, "tolerance_percent", def.TolerancePercent, def.Pos),
				Pos:              def.Pos,
			}
			if h.Total == "" {
				c.add(def.Total.Pos, "%s: total must name the unit that reports the total", owner)
			}
			for _, p := range def.Parts {
				if strings.TrimSpace(p.Value) == h.Total {
					c.add(p.Pos, "%s: the total unit %q cannot be one of its parts", owner, h.Total)
				}
				h.Parts = append(h.Parts, strings.TrimSpace(p.Value))
			}
			if len(def.Indicators) == 0 {
				c.add(def.Pos, "%s: indicators must list at least one indicator", owner)
			}
			for _, ind := range h.Indicators {
				if ind.Type == Percent {
					c.add(def.Pos, "%s: %s is a percentage; percentages do not add up", owner, ind.ID)
				}
			}
			f.Hierarchies = append(f.Hierarchies, h)
		}
		for _, def := range file.Jumps {
			owner := "jump " + def.ID.Value
			checkID(def.ID, "jump")
			j := &Jump{
				ID: def.ID.Value, Name: def.Name.Value, Severity: severity(owner, def.Severity),
				Indicators: inds(owner, def.Indicators),
				MaxChange:  nonNeg(owner, "max_change", def.MaxChange, def.Pos),
				MaxPoints:  nonNeg(owner, "max_points", def.MaxPoints, def.Pos),
				MinValue:   nonNeg(owner, "min_value", def.MinValue, def.Pos),
				Pos:        def.Pos,
			}
			if j.MaxChange == 0 && j.MaxPoints == 0 {
				c.add(def.Pos, "%s: give max_change (percent) or max_points (absolute), above 0", owner)
			}
			if len(def.Indicators) == 0 {
				c.add(def.Pos, "%s: indicators must list at least one indicator", owner)
			}
			f.Jumps = append(f.Jumps, j)
		}
	}
}
