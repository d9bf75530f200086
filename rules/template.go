package rules

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/vm"
	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

// Template is a rule message. Text between {{ and }} is an expression whose
// value is printed, so messages show the figures involved.
type Template struct {
	Source string
	parts  []tmplPart
}

type tmplPart struct {
	text    string
	program *vm.Program
	fast    NumFunc // nil when only the VM can evaluate program
}

// Render prints the message for one evaluation. Parts compiled to
// closures read ev.Frame; the others run on ev.VM. An expression that
// cannot be evaluated prints as "?", so a message never hides a violation,
// and its error is not the rule's.
func (t *Template) Render(ev *Evaluation) string {
	var buf [256]byte // most messages: one allocation, the string
	b := buf[:0]
	for _, p := range t.parts {
		switch {
		case p.program == nil:
			b = append(b, p.text...)
		case p.fast != nil:
			saved := ev.Frame.Err
			x := p.fast(ev.Frame)
			if ev.Frame.Err != saved {
				ev.Frame.Err = saved
				b = append(b, '?')
				continue
			}
			b = AppendNumber(b, x) // FormatValue of a float64
		default:
			out, err := ev.VM.Run(p.program, ev.Env())
			if err != nil {
				b = append(b, '?')
				continue
			}
			b = append(b, FormatValue(out)...)
		}
	}
	return string(b)
}

// AppendNumber appends to b a figure as FormatValue writes it: rounded to
// four decimals, without trailing zeros, never "-0".
func AppendNumber(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	}
	if x == math.Trunc(x) && math.Abs(x) < 1e11 {
		// A whole number, what most figures are, small enough for the
		// rounding below to give it back exactly (x*1e4 < 2^53): the
		// same digits, faster (and -0 is 0).
		return strconv.AppendInt(b, int64(x), 10)
	}
	r := math.Round(x*1e4) / 1e4
	if r == 0 {
		r = 0 // never print "-0"
	}
	if b, ok := jsonenc.AppendDecimal(b, r); ok {
		return b
	}
	return strconv.AppendFloat(b, r, 'f', -1, 64)
}

// FormatValue prints a figure the way a report writes it: integers without
// a fraction, other numbers with at most four decimals.
func FormatValue(v any) string {
	switch x := v.(type) {
	case float64:
		var buf [32]byte
		return string(AppendNumber(buf[:0], x))
	case int:
		return strconv.Itoa(x)
	case json.Number:
		return string(x)
	case bool:
		if x {
			return "是"
		}
		return "否"
	case string:
		return x
	case nil:
		return "空"
	}
	return "?"
}

func (c *compiler) template(f *Form, ruleID string, src rulefmt.Str, env map[string]any, uses *usage) *Template {
	t := &Template{Source: src.Value}
	if strings.TrimSpace(src.Value) == "" {
		if src.Given() {
			c.add(src.Pos, "rule %s: message must not be empty", ruleID)
		}
		return t
	}
	rest := src.Value
	offset := 0 // runes consumed before rest, for positions
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if i := strings.Index(rest, "}}"); i >= 0 {
				c.add(src.At(offset+runes(rest[:i])), "rule %s: message: \"}}\" without \"{{\"", ruleID)
			}
			t.parts = append(t.parts, tmplPart{text: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, tmplPart{text: rest[:open]})
		}
		start := offset + runes(rest[:open])
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			c.add(src.At(start), "rule %s: message: \"{{\" is not closed by \"}}\"", ruleID)
			break
		}
		inner := rest[open+2 : open+2+end]
		if strings.TrimSpace(inner) == "" {
			c.add(src.At(start), "rule %s: message: empty {{ }}", ruleID)
		} else if p, err := compileExpr(inner, env, uses); err != nil {
			sub := rulefmt.Str{Value: inner, Pos: src.At(start + 2), Indent: src.Indent, Verbatim: src.Verbatim}
			c.exprError(ruleID, "message", sub, err)
		} else {
			part := tmplPart{program: p}
			if !uses.batch {
				part.fast, _ = fastCompiler{f}.number(p.Node())
			}
			t.parts = append(t.parts, part)
		}
		consumed := rest[:open+2+end+2]
		offset += runes(consumed)
		rest = rest[len(consumed):]
	}
	return t
}

func runes(s string) int { return len([]rune(s)) }

// readsRows reports whether a part of a batch rule's message reads rows.
func (t *Template) readsRows() bool {
	if t == nil {
		return false
	}
	for _, p := range t.parts {
		if readsRows(p.program) {
			return true
		}
	}
	return false
}
