package rules

import (
	"fmt"
	"math"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

// Rule scopes: a row rule checks one unit's submission; a batch rule checks
// all rows of one period of an audit batch.
const (
	ScopeRow   = "row"
	ScopeBatch = "batch"
)

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

// batchEnv is the environment batch expressions are type-checked against.
func batchEnv() map[string]any {
	return map[string]any{"rows": []any{}, "period": ""}
}

// BatchEnv builds the evaluation environment of a batch rule: rows holds
// one map per unit (indicator id to float64, plus "unit" and "period").
func BatchEnv(period string, rows []any) map[string]any {
	return map[string]any{"rows": rows, "period": period}
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
func (c *compiler) auditChecks(f *Form, ids map[string]Pos, files []*rulefmt.File) {
	inds := func(owner string, list []rulefmt.Str) []*Indicator {
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
			h := &Hierarchy{
				ID: def.ID.Value, Name: def.Name.Value, Severity: c.header(ids, "hierarchy", def.ID, def.Name, def.Severity),
				Total: strings.TrimSpace(def.Total.Value), Indicators: inds(owner, def.Indicators),
				Tolerance:        nonNeg(owner, "tolerance", def.Tolerance, def.Pos),
				TolerancePercent: nonNeg(owner, "tolerance_percent", def.TolerancePercent, def.Pos),
				Pos:              def.Pos,
			}
			if h.Total == "" && def.Total.Given() {
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
			j := &Jump{
				ID: def.ID.Value, Name: def.Name.Value, Severity: c.header(ids, "jump", def.ID, def.Name, def.Severity),
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
