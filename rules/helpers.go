package rules

import (
	"errors"
	"fmt"
	"math"

	"github.com/expr-lang/expr"
)

// ErrDivisionByZero is the evaluation error of a division, ratio or share
// whose divisor is zero. It makes the rule an evaluation error, never a pass.
var ErrDivisionByZero = errors.New("division by zero")

var helperNames = []string{"approx", "between", "sum", "ratio", "share", "change"}

// helperOptions are the functions available in every expression. Their
// declared types let expr type-check calls at load time.
var helperOptions = []expr.Option{
	expr.DisableBuiltin("sum"),
	expr.Function("approx", approx, new(func(float64, float64, float64) bool)),
	expr.Function("between", between, new(func(float64, float64, float64) bool)),
	expr.Function("sum", sum, new(func(...float64) float64)),
	expr.Function("ratio", ratio, new(func(float64, float64) float64)),
	expr.Function("share", share, new(func(float64, float64) float64)),
	expr.Function("change", change, new(func(float64) string)),
}

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

func nums3(args []any) (a, b, c float64, err error) {
	if len(args) != 3 {
		return 0, 0, 0, fmt.Errorf("expected 3 arguments, got %d", len(args))
	}
	if a, err = num(args[0]); err != nil {
		return
	}
	if b, err = num(args[1]); err != nil {
		return
	}
	c, err = num(args[2])
	return
}

func nums2(args []any) (a, b float64, err error) {
	if len(args) != 2 {
		return 0, 0, fmt.Errorf("expected 2 arguments, got %d", len(args))
	}
	if a, err = num(args[0]); err != nil {
		return
	}
	b, err = num(args[1])
	return
}

// approx(a, b, tol) is true when a and b differ by at most tol.
func approx(args ...any) (any, error) {
	a, b, tol, err := nums3(args)
	if err != nil {
		return nil, fmt.Errorf("approx: %w", err)
	}
	if tol < 0 {
		return nil, fmt.Errorf("approx: negative tolerance %v", tol)
	}
	// The small epsilon absorbs float noise such as 0.1+0.2 != 0.3.
	return math.Abs(a-b) <= tol+1e-9, nil
}

// between(x, lo, hi) is true when lo <= x <= hi.
func between(args ...any) (any, error) {
	x, lo, hi, err := nums3(args)
	if err != nil {
		return nil, fmt.Errorf("between: %w", err)
	}
	if lo > hi {
		return nil, fmt.Errorf("between: lower bound %v is above upper bound %v", lo, hi)
	}
	return lo <= x && x <= hi, nil
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

// ratio(a, b) is a/b; a zero b is an error.
func ratio(args ...any) (any, error) {
	a, b, err := nums2(args)
	if err != nil {
		return nil, fmt.Errorf("ratio: %w", err)
	}
	if b == 0 {
		return nil, ErrDivisionByZero
	}
	return a / b, nil
}

// share(part, whole) is part/whole in percent; a zero whole is an error.
func share(args ...any) (any, error) {
	a, b, err := nums2(args)
	if err != nil {
		return nil, fmt.Errorf("share: %w", err)
	}
	if b == 0 {
		return nil, ErrDivisionByZero
	}
	return a / b * 100, nil
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
