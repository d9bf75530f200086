package rules

import (
	"errors"
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

// Evaluation is what evaluating a form's expressions reads: the figures in
// Frame for the closures, and the same figures as a map, built by Env only
// when an expression needs expr's VM (Frame may be nil when no expression
// has a closure, as in batch rules). One Evaluation serves one goroutine.
type Evaluation struct {
	Frame *Frame
	VM    *vm.VM
	Env   func() map[string]any
}

// Cond is a compiled boolean expression: a rule's expr or its when. Eval
// runs the closure when the expression has one and expr's VM program
// otherwise; the program is kept in every case as the reference semantics
// (the equivalence tests compare the two).
type Cond struct {
	Program *vm.Program
	Fast    BoolFunc
}

// Eval evaluates the condition. An error is an evaluation error of the
// rule (such as ErrDivisionByZero, which it wraps), never a pass.
func (c *Cond) Eval(ev *Evaluation) (bool, error) {
	if c.Fast != nil {
		ev.Frame.Err = nil
		ok := c.Fast(ev.Frame)
		if err := ev.Frame.Err; err != nil {
			return false, &evalError{err.Error(), err}
		}
		return ok, nil
	}
	out, err := ev.VM.Run(c.Program, ev.Env())
	if err != nil {
		// expr's error carries a multi-line source snippet; a result wants
		// one line: the message and where in the expression it happened.
		var fe *file.Error
		if errors.As(err, &fe) {
			return false, &evalError{fmt.Sprintf("%s (%d:%d)", fe.Message, fe.Line, fe.Column+1), errors.Unwrap(fe)}
		}
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("expression returned %T, not a boolean", out)
	}
	return b, nil
}

// evalError is an evaluation failure: the message with its place in the
// expression, wrapping the helper's error (such as ErrDivisionByZero).
type evalError struct {
	msg   string
	cause error
}

func (e *evalError) Error() string { return e.msg }
func (e *evalError) Unwrap() error { return e.cause }

// cond compiles a boolean expression of a rule to a Cond; nil when it has
// problems, which are reported.
func (c *compiler) cond(f *Form, ruleID, field string, src rulefmt.Str, env map[string]any, uses *usage) *Cond {
	p := c.expr(ruleID, field, src, env, uses, expr.AsBool())
	if p == nil {
		return nil
	}
	cd := &Cond{Program: p}
	if !uses.batch {
		cd.Fast, _ = fastCompiler{f}.boolean(p.Node())
	}
	return cd
}

func compileExpr(src string, env map[string]any, uses *usage, extra ...expr.Option) (*vm.Program, error) {
	uses.errs = uses.errs[:0]
	helpers := rowOptions
	if uses.batch {
		helpers = batchOptions
	}
	opts := append([]expr.Option{expr.Env(env), expr.MaxNodes(MaxNodes), expr.Patch(uses)}, helpers...)
	opts = append(opts, extra...)
	program, err := expr.Compile(src, opts...)
	if len(uses.errs) > 0 {
		// A name the usage visitor rejected also fails type checking with a
		// less helpful message; report the visitor's.
		return nil, uses.errs[0].Bind(file.NewSource(src))
	}
	return program, err
}

// usage is an expr patcher that resolves indicator names: it rewrites
// Chinese names to ids and previous.<name> to the "previous.<id>" key,
// replaces "/" by the zero-checking ratio helper, and records which
// indicators the expression reads.
type usage struct {
	form *Form
	cur  map[int]bool
	prev map[int]bool
	errs []*file.Error
	// batch marks a batch rule: names are resolved in row members and in
	// values(rows, "name") instead (see batchVisit).
	batch bool
}

func (u *usage) Visit(node *ast.Node) {
	if u.batch {
		u.batchVisit(node)
		return
	}
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if ind, ok := u.form.Indicator(n.Value); ok {
			u.mark(&u.cur, ind)
			n.Value = ind.ID
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || id.Value != "previous" {
			return
		}
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			u.fail(n, "previous must be followed by an indicator name, as in previous.金牌数")
			return
		}
		ind, ok := u.form.Indicator(prop.Value)
		if !ok {
			u.fail(n, "unknown indicator %q in previous.%s", prop.Value, prop.Value)
			return
		}
		u.mark(&u.prev, ind)
		ast.Patch(node, &ast.IdentifierNode{Value: ind.PrevKey})
	case *ast.CallNode:
		// between(x, lo, hi) with constant bounds is two comparisons: no
		// call, no allocation. x is a pure expression, so reading it twice
		// is safe.
		callee, ok := n.Callee.(*ast.IdentifierNode)
		if ok && callee.Value == "between" && len(n.Arguments) == 3 && isConst(n.Arguments[1]) && isConst(n.Arguments[2]) {
			lo, hi := constValue(n.Arguments[1]), constValue(n.Arguments[2])
			if lo > hi {
				return // left to the helper, which reports the bad bounds
			}
			x := n.Arguments[0]
			ast.Patch(node, &ast.BinaryNode{
				Operator: "&&",
				Left:     &ast.BinaryNode{Operator: "<=", Left: n.Arguments[1], Right: x},
				Right:    &ast.BinaryNode{Operator: "<=", Left: x, Right: n.Arguments[2]},
			})
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

func isConst(n ast.Node) bool {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		return true
	}
	return false
}

func constValue(n ast.Node) float64 {
	switch c := n.(type) {
	case *ast.IntegerNode:
		return float64(c.Value)
	case *ast.FloatNode:
		return c.Value
	}
	return 0
}

func (u *usage) mark(m *map[int]bool, ind *Indicator) {
	if *m == nil {
		*m = map[int]bool{}
	}
	(*m)[ind.Index] = true
}

func (u *usage) fail(n ast.Node, format string, args ...any) {
	u.errs = append(u.errs, &file.Error{Location: n.Location(), Message: fmt.Sprintf(format, args...)})
}

func (u *usage) sorted() (cur, prev []*Indicator) {
	for i, ind := range u.form.Indicators {
		if u.cur[i] {
			cur = append(cur, ind)
		}
		if u.prev[i] {
			prev = append(prev, ind)
		}
	}
	return cur, prev
}
