package rules

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
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
// columns holds values(rows, "id") of each indicator: the compiler turns
// values(rows, "name") into columns["id"] (see batchVisit), which needs
// no map per row.
func batchEnv() map[string]any {
	return map[string]any{"rows": []any{}, "period": "", "columns": map[string][]any{}}
}

// Batch is what the batch rules read of one period: the units and, by
// indicator index, a column of figures, one per unit, NaN where absent.
// Columns needs only the indicators the batch rules use, Units only a
// rule that reads rows (Rule.ReadsRows).
type Batch struct {
	Period  string
	Units   []string
	Columns [][]float64
}

// BatchOutcome is one batch rule's verdict on a period.
type BatchOutcome struct {
	Rule    *Rule
	OK      bool
	Err     error  // the rule could not be evaluated
	Message string // the rendered message, when !OK
}

// EvalBatch evaluates the form's batch rules on one period. The rows are
// built as maps only when a rule reads them (Rule.ReadsRows); values(rows,
// "name") reads a column.
func (f *Form) EvalBatch(b *Batch) []BatchOutcome {
	if len(f.BatchRules) == 0 {
		return nil
	}
	used := map[int]bool{}
	needRows := false
	for _, r := range f.BatchRules {
		for _, ind := range r.Uses {
			used[ind.Index] = true
		}
		needRows = needRows || r.ReadsRows
	}
	columns := make(map[string][]any, len(used))
	for idx := range used {
		col := b.Columns[idx]
		list := make([]any, 0, len(col))
		for _, x := range col {
			if !math.IsNaN(x) {
				list = append(list, x)
			}
		}
		columns[f.Indicators[idx].ID] = list
	}
	var rows []any
	if needRows {
		idxs := slices.Sorted(maps.Keys(used)) // the figures of a row in form order
		periodValue := any(b.Period)
		rows = make([]any, len(b.Units))
		for i, unit := range b.Units {
			m := make(map[string]any, len(idxs)+2)
			m["unit"], m["period"] = unit, periodValue
			for _, idx := range idxs {
				if x := b.Columns[idx][i]; !math.IsNaN(x) {
					m[f.Indicators[idx].ID] = x
				}
			}
			rows[i] = m
		}
	}
	env := map[string]any{"rows": rows, "period": b.Period, "columns": columns}
	var machine vm.VM
	ev := &Evaluation{VM: &machine, Env: func() map[string]any { return env }}
	out := make([]BatchOutcome, 0, len(f.BatchRules))
	for _, r := range f.BatchRules {
		o := BatchOutcome{Rule: r, OK: true}
		if r.WhenCond != nil {
			ok, err := r.WhenCond.Eval(ev)
			if err != nil || !ok {
				o.Err = err
				out = append(out, o)
				continue
			}
		}
		o.OK, o.Err = r.Cond.Eval(ev)
		if o.Err == nil && !o.OK {
			o.Message = r.Message.Render(ev)
		}
		out = append(out, o)
	}
	return out
}

// readsRows reports whether a batch condition still reads rows once
// values(rows, …) became columns[…]; false for nil.
func (c *Cond) readsRows() bool { return c != nil && readsRows(c.Program) }

// readsRows reports whether a compiled batch expression still reads rows
// once values(rows, …) became columns[…].
func readsRows(p *vm.Program) bool {
	if p == nil {
		return false
	}
	v := &rowsFinder{}
	node := p.Node()
	ast.Walk(&node, v)
	return v.found
}

type rowsFinder struct{ found bool }

func (v *rowsFinder) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok && id.Value == "rows" {
		v.found = true
	}
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
		if rows, ok := n.Arguments[0].(*ast.IdentifierNode); ok && rows.Value == "rows" {
			// The figures of every row: a column, no map per row.
			ast.Patch(node, &ast.MemberNode{Node: &ast.IdentifierNode{Value: "columns"}, Property: &ast.StringNode{Value: ind.ID}})
		}
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
