package rules

import (
	"math"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// Frame holds the figures one evaluation reads, by indicator index: Cur for
// the period checked, Prev for the one before. Fast programs record the
// first evaluation error in Err instead of returning it.
type Frame struct {
	Cur, Prev []float64
	Err       error
}

func (fr *Frame) fail(err error) {
	if fr.Err == nil {
		fr.Err = err
	}
}

// BoolFunc and NumFunc are expressions compiled to Go closures over a
// Frame. Every figure is a float64 in a slice, so a rule made of
// comparisons, arithmetic and the helpers runs with no map lookup and no
// allocation, where expr's VM boxes every number in an interface.
type (
	BoolFunc func(*Frame) bool
	NumFunc  func(*Frame) float64
)

// fastCompiler turns a type-checked, name-resolved expr tree into closures.
// It covers what rules are made of (numbers, figures, arithmetic,
// comparisons, logic, conditionals, the helpers and abs/ceil/floor/round/
// min/max) and reports ok=false for anything else; such an expression is
// then evaluated by expr's VM, which stays the reference semantics (see
// the equivalence tests).
type fastCompiler struct{ f *Form }

func (fc fastCompiler) slot(name string) (NumFunc, bool) {
	if id, ok := strings.CutPrefix(name, "previous."); ok {
		ind, ok := fc.f.byKey[id]
		if !ok || ind.ID != id {
			return nil, false
		}
		i := ind.Index
		return func(fr *Frame) float64 { return fr.Prev[i] }, true
	}
	ind, ok := fc.f.byKey[name]
	if !ok || ind.ID != name {
		return nil, false
	}
	i := ind.Index
	return func(fr *Frame) float64 { return fr.Cur[i] }, true
}

func (fc fastCompiler) boolean(n ast.Node) (BoolFunc, bool) {
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(*Frame) bool { return v }, true
	case *ast.ConstantNode:
		if v, ok := n.Value.(bool); ok {
			return func(*Frame) bool { return v }, true
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			if x, ok := fc.boolean(n.Node); ok {
				return func(fr *Frame) bool { return !x(fr) }, true
			}
		}
	case *ast.BinaryNode:
		return fc.binaryBool(n)
	case *ast.ConditionalNode:
		c, ok1 := fc.boolean(n.Cond)
		a, ok2 := fc.boolean(n.Exp1)
		b, ok3 := fc.boolean(n.Exp2)
		if ok1 && ok2 && ok3 {
			return func(fr *Frame) bool {
				if c(fr) {
					return a(fr)
				}
				return b(fr)
			}, true
		}
	case *ast.CallNode:
		return fc.callBool(n)
	}
	return nil, false
}

func (fc fastCompiler) binaryBool(n *ast.BinaryNode) (BoolFunc, bool) {
	switch n.Operator {
	case "&&", "and", "||", "or":
		l, ok1 := fc.boolean(n.Left)
		r, ok2 := fc.boolean(n.Right)
		if !ok1 || !ok2 {
			return nil, false
		}
		if n.Operator == "&&" || n.Operator == "and" {
			return func(fr *Frame) bool { return l(fr) && r(fr) }, true
		}
		return func(fr *Frame) bool { return l(fr) || r(fr) }, true
	}
	l, ok1 := fc.number(n.Left)
	r, ok2 := fc.number(n.Right)
	if !ok1 || !ok2 {
		if n.Operator == "==" || n.Operator == "!=" {
			lb, ok1 := fc.boolean(n.Left)
			rb, ok2 := fc.boolean(n.Right)
			if ok1 && ok2 {
				eq := n.Operator == "=="
				return func(fr *Frame) bool { return (lb(fr) == rb(fr)) == eq }, true
			}
		}
		return nil, false
	}
	switch n.Operator {
	case "<":
		return func(fr *Frame) bool { return l(fr) < r(fr) }, true
	case "<=":
		return func(fr *Frame) bool { return l(fr) <= r(fr) }, true
	case ">":
		return func(fr *Frame) bool { return l(fr) > r(fr) }, true
	case ">=":
		return func(fr *Frame) bool { return l(fr) >= r(fr) }, true
	case "==":
		return func(fr *Frame) bool { return l(fr) == r(fr) }, true
	case "!=":
		return func(fr *Frame) bool { return l(fr) != r(fr) }, true
	}
	return nil, false
}

// callBool and callNumber compile a helper call with the closure builder
// of its row in the helper table.
func (fc fastCompiler) callBool(n *ast.CallNode) (BoolFunc, bool) {
	h, args, ok := fc.call(n)
	if !ok || h.cond == nil {
		return nil, false
	}
	return h.cond(args)
}

func (fc fastCompiler) callNumber(n *ast.CallNode) (NumFunc, bool) {
	h, args, ok := fc.call(n)
	if !ok || h.num == nil {
		return nil, false
	}
	return h.num(args)
}

func (fc fastCompiler) call(n *ast.CallNode) (*helper, []NumFunc, bool) {
	callee, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return nil, nil, false
	}
	h, ok := rowHelpers[callee.Value]
	if !ok {
		return nil, nil, false
	}
	args, ok := fc.numbers(n.Arguments)
	return h, args, ok
}

func (fc fastCompiler) numbers(nodes []ast.Node) ([]NumFunc, bool) {
	out := make([]NumFunc, len(nodes))
	for i, n := range nodes {
		f, ok := fc.number(n)
		if !ok {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

func (fc fastCompiler) number(n ast.Node) (NumFunc, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		v := float64(n.Value)
		return func(*Frame) float64 { return v }, true
	case *ast.FloatNode:
		v := n.Value
		return func(*Frame) float64 { return v }, true
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case int:
			x := float64(v)
			return func(*Frame) float64 { return x }, true
		case float64:
			return func(*Frame) float64 { return v }, true
		}
	case *ast.IdentifierNode:
		return fc.slot(n.Value)
	case *ast.UnaryNode:
		x, ok := fc.number(n.Node)
		if !ok {
			return nil, false
		}
		switch n.Operator {
		case "-":
			return func(fr *Frame) float64 { return -x(fr) }, true
		case "+":
			return x, true
		}
	case *ast.BinaryNode:
		l, ok1 := fc.number(n.Left)
		r, ok2 := fc.number(n.Right)
		if !ok1 || !ok2 {
			return nil, false
		}
		switch n.Operator {
		case "+":
			return func(fr *Frame) float64 { return l(fr) + r(fr) }, true
		case "-":
			return func(fr *Frame) float64 { return l(fr) - r(fr) }, true
		case "*":
			return func(fr *Frame) float64 { return l(fr) * r(fr) }, true
		case "**", "^":
			return func(fr *Frame) float64 { return math.Pow(l(fr), r(fr)) }, true
		}
	case *ast.ConditionalNode:
		c, ok1 := fc.boolean(n.Cond)
		a, ok2 := fc.number(n.Exp1)
		b, ok3 := fc.number(n.Exp2)
		if ok1 && ok2 && ok3 {
			return func(fr *Frame) float64 {
				if c(fr) {
					return a(fr)
				}
				return b(fr)
			}, true
		}
	case *ast.CallNode:
		return fc.callNumber(n)
	case *ast.BuiltinNode:
		return fc.builtinNumber(n)
	}
	return nil, false
}

func (fc fastCompiler) builtinNumber(n *ast.BuiltinNode) (NumFunc, bool) {
	args, ok := fc.numbers(n.Arguments)
	if !ok || len(args) == 0 {
		return nil, false
	}
	var op func(float64) float64
	switch n.Name {
	case "abs":
		op = math.Abs
	case "ceil":
		op = math.Ceil
	case "floor":
		op = math.Floor
	case "round":
		op = math.Round
	case "min", "max":
		less := n.Name == "min"
		return func(fr *Frame) float64 {
			m := args[0](fr)
			for _, a := range args[1:] {
				if x := a(fr); (x < m) == less && x != m {
					m = x
				}
			}
			return m
		}, true
	default:
		return nil, false
	}
	if len(args) != 1 {
		return nil, false
	}
	x := args[0]
	return func(fr *Frame) float64 { return op(x(fr)) }, true
}
