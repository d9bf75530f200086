package rules

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
)

// ErrDivisionByZero is the evaluation error of a division, ratio or share
// whose divisor is zero. It makes the rule an evaluation error, never a pass.
var ErrDivisionByZero = errors.New("division by zero")

var (
	errNegativeTolerance = errors.New("approx: negative tolerance")
	errBadBounds         = errors.New("between: lower bound is above upper bound")
)

// scope says which expressions may call a helper.
type scope uint8

const (
	rowScope   scope = 1 << iota // row rules, their when and messages
	batchScope                   // batch rules over all rows of a period
)

// helper is a function that expressions may call. The table below is the
// one place a helper is declared: adding one means adding a row, and the
// type checker, expr's VM, the closure compiler and the list of reserved
// names all read it.
type helper struct {
	name string
	// sig is the declared Go type, which lets expr type-check calls at
	// load time; vm is the implementation expr's VM calls.
	sig    any
	vm     func(...any) (any, error)
	scopes scope
	// cond and num build the closure of a call from its compiled
	// arguments (see fastCompiler); nil leaves the call to the VM.
	cond func(args []NumFunc) (BoolFunc, bool)
	num  func(args []NumFunc) (NumFunc, bool)
}

var helpers = []helper{
	{name: "approx", sig: new(func(float64, float64, float64) bool), vm: approx, scopes: rowScope | batchScope, cond: approxFast},
	{name: "between", sig: new(func(float64, float64, float64) bool), vm: between, scopes: rowScope | batchScope, cond: betweenFast},
	{name: "sum", sig: new(func(...float64) float64), vm: sum, scopes: rowScope, num: sumFast},
	{name: "ratio", sig: new(func(float64, float64) float64), vm: ratio, scopes: rowScope | batchScope, num: quotientFast(1)},
	{name: "share", sig: new(func(float64, float64) float64), vm: share, scopes: rowScope | batchScope, num: quotientFast(100)},
	{name: "change", sig: new(func(float64) string), vm: change, scopes: rowScope},
	{name: "values", sig: new(func([]any, string) []any), vm: values, scopes: batchScope},
	{name: "maxrepeat", sig: new(func([]any, float64) float64), vm: maxrepeat, scopes: batchScope},
	{name: "distinct", sig: new(func([]any) float64), vm: distinct, scopes: batchScope},
}

// rowOptions and batchOptions declare the helpers of each scope to expr.
// A helper named like one of expr's builtins replaces it in its scopes
// (row rules' variadic sum); elsewhere the builtin stays (batch rules sum a
// list with expr's own).
var (
	rowOptions   = helperOptions(rowScope)
	batchOptions = helperOptions(batchScope)
)

func helperOptions(s scope) []expr.Option {
	var opts []expr.Option
	for _, h := range helpers {
		if h.scopes&s == 0 {
			continue
		}
		if slices.ContainsFunc(builtin.Builtins, func(b *builtin.Function) bool { return b.Name == h.name }) {
			opts = append(opts, expr.DisableBuiltin(h.name))
		}
		opts = append(opts, expr.Function(h.name, h.vm, h.sig))
	}
	return opts
}

// RowHelpers lists the names of the helpers row rules may call, in table
// order, for tools that read rule expressions themselves (package
// sqlcheck translates them).
func RowHelpers() []string {
	var names []string
	for _, h := range helpers {
		if h.scopes&rowScope != 0 {
			names = append(names, h.name)
		}
	}
	return names
}

// rowHelpers finds a row-scope helper by name, for the closure compiler.
var rowHelpers = func() map[string]*helper {
	m := map[string]*helper{}
	for i := range helpers {
		if helpers[i].scopes&rowScope != 0 {
			m[helpers[i].name] = &helpers[i]
		}
	}
	return m
}()

func num(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	}
	return 0, fmt.Errorf("expected a number, got %T", v)
}

// nums reads the n (at most 3) numeric arguments of a helper call.
func nums(name string, args []any, n int) (out [3]float64, err error) {
	if len(args) != n {
		return out, fmt.Errorf("%s: expected %d arguments, got %d", name, n, len(args))
	}
	for i, a := range args {
		if out[i], err = num(a); err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
	}
	return out, nil
}

// approx(a, b, tol) is true when a and b differ by at most tol.
func approx(args ...any) (any, error) {
	x, err := nums("approx", args, 3)
	if err != nil {
		return nil, err
	}
	if x[2] < 0 {
		return nil, fmt.Errorf("approx: negative tolerance %v", x[2])
	}
	return approxEqual(x[0], x[1], x[2]), nil
}

// approxEqual is approx's one definition; the small epsilon absorbs float
// noise such as 0.1+0.2 != 0.3.
func approxEqual(a, b, tol float64) bool { return math.Abs(a-b) <= tol+1e-9 }

func approxFast(args []NumFunc) (BoolFunc, bool) {
	if len(args) != 3 {
		return nil, false
	}
	a, b, c := args[0], args[1], args[2]
	return func(fr *Frame) bool {
		tol := c(fr)
		if tol < 0 {
			fr.fail(errNegativeTolerance)
			return false
		}
		return approxEqual(a(fr), b(fr), tol)
	}, true
}

// between(x, lo, hi) is true when lo <= x <= hi.
func between(args ...any) (any, error) {
	x, err := nums("between", args, 3)
	if err != nil {
		return nil, err
	}
	if x[1] > x[2] {
		return nil, fmt.Errorf("between: lower bound %v is above upper bound %v", x[1], x[2])
	}
	return x[1] <= x[0] && x[0] <= x[2], nil
}

func betweenFast(args []NumFunc) (BoolFunc, bool) {
	if len(args) != 3 {
		return nil, false
	}
	a, b, c := args[0], args[1], args[2]
	return func(fr *Frame) bool {
		x, lo, hi := a(fr), b(fr), c(fr)
		if lo > hi {
			fr.fail(errBadBounds)
			return false
		}
		return lo <= x && x <= hi
	}, true
}

// sum(a, b, ...) adds its arguments.
func sum(args ...any) (any, error) {
	var s float64
	for _, a := range args {
		x, err := num(a)
		if err != nil {
			return nil, fmt.Errorf("sum: %w", err)
		}
		s += x
	}
	return s, nil
}

func sumFast(args []NumFunc) (NumFunc, bool) {
	return func(fr *Frame) float64 {
		var s float64
		for _, a := range args {
			s += a(fr)
		}
		return s
	}, true
}

// ratio(a, b) is a/b; a zero b is an error.
func ratio(args ...any) (any, error) { return quotient("ratio", args, 1) }

// share(part, whole) is part/whole in percent; a zero whole is an error.
func share(args ...any) (any, error) { return quotient("share", args, 100) }

func quotient(name string, args []any, scale float64) (any, error) {
	x, err := nums(name, args, 2)
	if err != nil {
		return nil, err
	}
	if x[1] == 0 {
		return nil, ErrDivisionByZero
	}
	return x[0] / x[1] * scale, nil
}

func quotientFast(scale float64) func([]NumFunc) (NumFunc, bool) {
	return func(args []NumFunc) (NumFunc, bool) {
		if len(args) != 2 {
			return nil, false
		}
		a, b := args[0], args[1]
		return func(fr *Frame) float64 {
			d := b(fr)
			if d == 0 {
				fr.fail(ErrDivisionByZero)
				return math.NaN()
			}
			return a(fr) / d * scale
		}, true
	}
}

// change(x) words a signed change for a message: 提高0.7 for 0.7 and
// 下降0.7 for -0.7, so that a decrease never reads 提高-0.7.
func change(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("change: expected 1 argument, got %d", len(args))
	}
	x, err := num(args[0])
	if err != nil {
		return nil, fmt.Errorf("change: %w", err)
	}
	if x < 0 {
		return "下降" + FormatValue(-x), nil
	}
	return "提高" + FormatValue(x), nil
}
