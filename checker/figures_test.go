package checker_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/checker"
)

// TestFiguresNotAsWritten: typed figures that lost their digits or are
// not how a person writes a number get builtin.type saying why, and
// integers beyond 2^53 are rejected, not rounded.
func TestFiguresNotAsWritten(t *testing.T) {
	f := demo(t)
	for _, tc := range []struct {
		gold    any
		message string
	}{
		{"1.23457E+11", "Excel 显示的近似值，请填写完整数字"},
		{"1e5", "科学计数法，请填写完整数字"},
		{"12.", "以小数点结尾"},
		{"9007199254740993", "过大（绝对值须小于 2^53）"},
		{json.Number("9007199254740993"), "过大（绝对值须小于 2^53）"},
		{json.Number("9223372036854775808"), "过大（绝对值须小于 2^53）"},
	} {
		t.Run(fmt.Sprint(tc.gold), func(t *testing.T) {
			r := new(checker.Checker).Check(f, &checker.Submission{Form: f.ID, Figures: with(valid, map[string]any{"gold": tc.gold})})
			var found bool
			for _, v := range r.Violations {
				if v.Rule == checker.BuiltinType {
					found = true
					if !strings.Contains(v.Message, tc.message) {
						t.Errorf("message %q does not say %q", v.Message, tc.message)
					}
				}
			}
			if !found || r.Verdict != checker.Fail {
				t.Fatalf("no builtin.type for %v: %v", tc.gold, r.Violations)
			}
		})
	}
}

// TestManyUnknownFiguresOneViolation: a few unknown figures get one
// violation each; many get one that counts and names the first.
func TestManyUnknownFiguresOneViolation(t *testing.T) {
	f := demo(t)
	for _, n := range []int{3, 20, 21, 60000} {
		figs := with(valid, nil)
		for i := range n {
			figs[fmt.Sprintf("junk_%05d", i)] = i
		}
		r := new(checker.Checker).Check(f, &checker.Submission{Form: f.ID, Figures: figs})
		var unknown []checker.Violation
		for _, v := range r.Violations {
			if v.Rule == checker.BuiltinUnknownField {
				unknown = append(unknown, v)
			}
		}
		switch {
		case n <= 20 && len(unknown) != n:
			t.Fatalf("%d unknown figures: %d violations", n, len(unknown))
		case n > 20 && (len(unknown) != 1 || !strings.Contains(unknown[0].Message, fmt.Sprintf("%d 个指标", n)) ||
			!strings.Contains(unknown[0].Message, `"junk_00000"`) || len(unknown[0].Fields) != 10):
			t.Fatalf("%d unknown figures: %+v", n, unknown)
		}
		if b, _ := json.Marshal(r); n == 60000 && len(b) > 8<<10 {
			t.Fatalf("the answer to 60,000 unknown figures is %d bytes", len(b))
		}
	}
}
