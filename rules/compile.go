package rules

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/figcheck/figcheck/period"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

// MaxNodes bounds the size of one expression.
const MaxNodes = 500

var (
	formIDRe      = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	indicatorIDRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	ruleIDRe      = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)
)

// LoadDir parses and compiles every *.yaml and *.yml file below dir.
func LoadDir(dir string) (*Ruleset, error) {
	return LoadFS(os.DirFS(dir), ".", dir)
}

// LoadFS parses and compiles every *.yaml and *.yml file below root in fsys.
// File names in errors are prefixed with display.
func LoadFS(fsys fs.FS, root, display string) (*Ruleset, error) {
	var files []*rulefmt.File
	var list ErrorList
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := p
		if root != "." {
			rel = strings.TrimPrefix(p, root+"/")
		}
		f, err := rulefmt.Parse(filepath.Join(display, rel), data)
		if err != nil {
			var l ErrorList
			if !errors.As(err, &l) {
				return err
			}
			list = append(list, l...)
		}
		// A file with structural problems is still compiled when it could
		// be read, so that one load reports its expression problems too.
		if f != nil {
			files = append(files, f)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", display, err)
	}
	if len(files) == 0 && len(list) == 0 {
		return nil, fmt.Errorf("%s: %w", display, ErrNoForms)
	}
	rs, err := Compile(files)
	if err != nil {
		var l ErrorList
		if errors.As(err, &l) {
			list = append(list, l...)
		} else {
			return nil, err
		}
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	return rs, nil
}

// Compile merges parsed files into forms and compiles every expression.
// It reports every problem it finds; the Ruleset is nil when there is any.
func Compile(files []*rulefmt.File) (*Ruleset, error) {
	c := &compiler{}
	byForm := map[string][]*rulefmt.File{}
	var order []string
	for _, f := range files {
		if f.FormPos.Line == 0 {
			continue // no form id: the parser reported it, and the file belongs to no form
		}
		if !formIDRe.MatchString(f.Form) {
			c.add(f.FormPos, "form id %q must be ascii snake_case", f.Form)
		}
		if _, ok := byForm[f.Form]; !ok {
			order = append(order, f.Form)
		}
		byForm[f.Form] = append(byForm[f.Form], f)
	}
	rs := &Ruleset{Forms: map[string]*Form{}}
	all := sha256.New()
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b *rulefmt.File) int { return cmp.Compare(a.Name, b.Name) })
	for _, f := range sorted {
		rs.Files = append(rs.Files, f.Name)
		all.Write(f.Digest[:])
	}
	rs.Digest = hex.EncodeToString(all.Sum(nil))[:24]
	for _, id := range order {
		rs.Forms[id] = c.form(id, byForm[id])
	}
	if err := c.list.Err(); err != nil {
		return nil, err
	}
	return rs, nil
}

type compiler struct{ errs }

func (c *compiler) form(id string, files []*rulefmt.File) *Form {
	slices.SortFunc(files, func(a, b *rulefmt.File) int { return cmp.Compare(a.Name, b.Name) })
	f := &Form{ID: id, byKey: map[string]*Indicator{}, ruleByID: map[string]*Rule{}}
	h := sha256.New()
	var titlePos Pos
	for _, file := range files {
		h.Write(file.Digest[:])
		if file.Title != "" {
			if f.Title != "" && f.Title != file.Title {
				c.add(file.TitlePos, "form %s: title %q differs from %q at %s", id, file.Title, f.Title, titlePos)
			} else if f.Title == "" {
				f.Title, titlePos = file.Title, file.TitlePos
			}
		}
		if ps := file.PeriodScheme; ps.Value != "" {
			if _, err := period.Lookup(ps.Value); err != nil {
				c.add(ps.Pos, "form %s: %v", id, err)
			} else if f.PeriodScheme != "" && f.PeriodScheme != ps.Value {
				c.add(ps.Pos, "form %s: period_scheme %q differs from %q", id, ps.Value, f.PeriodScheme)
			}
			f.PeriodScheme = cmp.Or(f.PeriodScheme, ps.Value)
		}
	}
	f.Digest = hex.EncodeToString(h.Sum(nil))[:24]
	for _, file := range files {
		for _, def := range file.Indicators {
			c.indicator(f, def)
		}
	}
	if len(f.Indicators) == 0 {
		c.add(files[0].FormPos, "form %s has no indicators", id)
	}
	f.byID = slices.SortedFunc(slices.Values(f.Indicators), func(a, b *Indicator) int { return strings.Compare(a.ID, b.ID) })
	f.idPos = make([]int, len(f.Indicators))
	for i, ind := range f.byID {
		f.idPos[ind.Index] = i
	}
	env := typeEnv(f)
	// One namespace for the ids of every check of the form (row and batch
	// rules, hierarchies, jumps), claimed whether or not the check compiles,
	// so that a duplicate is reported even when the first one is broken.
	ids := map[string]Pos{}
	for _, file := range files {
		for _, def := range file.Rules {
			switch def.Scope.Value {
			case ScopeBatch:
				if r := c.rule(f, ids, batchEnv(), def, ScopeBatch); r != nil {
					f.BatchRules = append(f.BatchRules, r)
				}
			case "", ScopeRow:
				if r := c.rule(f, ids, env, def, ScopeRow); r != nil {
					f.Rules = append(f.Rules, r)
					f.ruleByID[r.ID] = r
				}
			default:
				c.header(ids, "rule", def.ID, def.Name, def.Severity)
				c.add(def.Scope.Pos, "rule %s: scope must be row or batch, got %q", def.ID.Value, def.Scope.Value)
			}
		}
	}
	c.auditChecks(f, ids, files)
	return f
}

var reserved = func() map[string]bool {
	m := map[string]bool{"previous": true, "true": true, "false": true, "nil": true}
	for _, h := range helpers {
		m[h.name] = true
	}
	for _, b := range builtin.Builtins {
		m[b.Name] = true
	}
	return m
}()

func (c *compiler) indicator(f *Form, def rulefmt.IndicatorDef) {
	ind := &Indicator{
		Index: len(f.Indicators), ID: def.ID.Value, Name: def.Name.Value, Unit: def.Unit,
		Required: def.Required, Min: def.Min, Max: def.Max, Section: def.Section,
		PrevKey: "previous." + def.ID.Value, Pos: def.Pos,
	}
	// A missing id, name or type was reported by the parser; such an
	// indicator is checked for the rest but not defined.
	ok := def.ID.Given() && def.Name.Given()
	switch {
	case !def.ID.Given():
	case !indicatorIDRe.MatchString(ind.ID):
		c.add(def.ID.Pos, "indicator id %q must be ascii snake_case", ind.ID)
		ok = false
	case reserved[ind.ID]:
		c.add(def.ID.Pos, "indicator id %q is a reserved name", ind.ID)
		ok = false
	}
	if !def.Name.Given() {
	} else if strings.TrimSpace(ind.Name) == "" {
		c.add(def.Name.Pos, "indicator %s: name must not be empty", ind.ID)
		ok = false
	} else if reserved[ind.Name] {
		c.add(def.Name.Pos, "indicator %s: name %q is a reserved name", ind.ID, ind.Name)
		ok = false
	}
	switch def.Type.Value {
	case "":
		if def.Type.Given() {
			c.add(def.Type.Pos, "indicator %s: type must be integer, number or percent, got %q", ind.ID, def.Type.Value)
		}
	case "integer":
		ind.Type = Integer
	case "number":
		ind.Type = Number
	case "percent":
		ind.Type = Percent
		if ind.Min == nil {
			ind.Min = ptr(0.0)
		}
		if ind.Max == nil {
			ind.Max = ptr(100.0)
		}
	default:
		c.add(def.Type.Pos, "indicator %s: type must be integer, number or percent, got %q", ind.ID, def.Type.Value)
	}
	for _, p := range def.Patterns {
		re, err := regexp.Compile(p.Value)
		switch {
		case err != nil:
			c.add(p.Pos, "indicator %s: pattern: %v", ind.ID, err)
		case re.NumSubexp() != 1:
			c.add(p.Pos, "indicator %s: pattern must have exactly one capturing group, around the value; it has %d", ind.ID, re.NumSubexp())
		default:
			ind.Patterns = append(ind.Patterns, re)
		}
	}
	for _, a := range def.Aliases {
		ind.Aliases = append(ind.Aliases, a.Value)
	}
	if ind.Min != nil && ind.Max != nil && *ind.Min > *ind.Max {
		c.add(def.MinPos, "indicator %s: min %v is above max %v", ind.ID, *ind.Min, *ind.Max)
	}
	if prev, dup := f.byKey[ind.ID]; dup && ok {
		c.add(def.ID.Pos, "duplicate indicator %q (first defined at %s)", ind.ID, prev.Pos)
		ok = false
	}
	if prev, dup := f.byKey[ind.Name]; dup && ok && ind.Name != ind.ID {
		c.add(def.Name.Pos, "indicator %s: name %q is already used by %s (%s)", ind.ID, ind.Name, prev.ID, prev.Pos)
		ok = false
	}
	if !ok {
		return
	}
	f.Indicators = append(f.Indicators, ind)
	f.byKey[ind.ID] = ind
	f.byKey[ind.Name] = ind
}

func ptr[T any](v T) *T { return &v }

// header checks what every check of a form declares (id, name, severity)
// and claims the id in ids. what names the kind of check in messages:
// rule, hierarchy or jump. It is the one place these are checked.
func (c *compiler) header(ids map[string]Pos, what string, id, name, sev rulefmt.Str) Severity {
	owner := what + " " + id.Value
	if id.Given() {
		switch {
		case !ruleIDRe.MatchString(id.Value):
			c.add(id.Pos, "%s id %q must be lowercase ascii words joined by dots or underscores", what, id.Value)
		case strings.HasPrefix(id.Value, "builtin."):
			c.add(id.Pos, "%s id %q: the builtin. prefix is reserved", what, id.Value)
		}
		if first, dup := ids[id.Value]; dup {
			c.add(id.Pos, "duplicate %s id %q (first defined at %s)", what, id.Value, first)
		} else {
			ids[id.Value] = id.Pos
		}
	}
	if name.Given() && strings.TrimSpace(name.Value) == "" {
		c.add(name.Pos, "%s: name must not be empty", owner)
	}
	var s Severity
	if sev.Given() {
		if err := s.UnmarshalText([]byte(sev.Value)); err != nil {
			c.add(sev.Pos, "%s: severity must be error, warning or info, got %q", owner, sev.Value)
		}
	}
	return s
}

// rule compiles a rule of either scope against env, the environment of its
// scope; nil when it has problems, which are reported.
func (c *compiler) rule(f *Form, ids map[string]Pos, env map[string]any, def rulefmt.RuleDef, scope string) *Rule {
	r := &Rule{
		ID: def.ID.Value, Name: def.Name.Value, Expr: def.Expr.Value, When: def.When.Value,
		Tags: def.Tags, Pos: def.Pos, Scope: scope,
	}
	n := len(c.list)
	r.Severity = c.header(ids, "rule", def.ID, def.Name, def.Severity)
	uses := &usage{form: f, batch: scope == ScopeBatch}
	if uses.batch && len(def.Tests) > 0 {
		c.add(def.Tests[0].Pos, "rule %s: tests are not supported on batch rules", r.ID)
	}
	r.Cond = c.cond(f, r.ID, "expr", def.Expr, env, uses)
	if strings.TrimSpace(def.When.Value) != "" {
		r.WhenCond = c.cond(f, r.ID, "when", def.When, env, uses)
	}
	r.Message = c.template(f, r.ID, def.Message, env, uses)
	r.Uses, r.UsesPrevious = uses.sorted()
	if uses.batch {
		r.ReadsRows = r.Cond.readsRows() || r.WhenCond.readsRows() || r.Message.readsRows()
	}
	for _, td := range def.Tests {
		r.Tests = append(r.Tests, c.test(f, r.ID, td))
	}
	if len(c.list) > n {
		return nil
	}
	return r
}

func (c *compiler) test(f *Form, ruleID string, td rulefmt.TestDef) Test {
	t := Test{Name: td.Name, Explanations: td.Explanations, Expect: Expect(td.Expect.Value), Pos: td.Pos}
	if t.Name == "" {
		t.Name = fmt.Sprintf("line %d", td.Pos.Line)
	}
	switch t.Expect {
	case ExpectPass, ExpectFail, ExpectSkip:
	default:
		if !td.Expect.Given() {
			break
		}
		c.add(td.Expect.Pos, "rule %s: test %q: expect must be pass, fail or skip, got %q", ruleID, t.Name, td.Expect.Value)
	}
	resolve := func(vals map[string]any, pos map[string]Pos, what string) map[string]any {
		out := make(map[string]any, len(vals))
		keys := ResolveKeys(f, vals, func(ind *Indicator, _ string, v any) { out[ind.ID] = v })
		for _, k := range keys.Unknown {
			c.add(pos[k], "rule %s: test %q: %s: unknown indicator %q", ruleID, t.Name, what, k)
		}
		for _, ind := range keys.Twice {
			// Reported at the later of the two keys.
			at, p := pos[ind.ID], pos[ind.Name]
			if p.Line > at.Line || (p.Line == at.Line && p.Col > at.Col) {
				at = p
			}
			c.add(at, "rule %s: test %q: %s: %q given twice (by id and by name)", ruleID, t.Name, what, ind.ID)
		}
		return out
	}
	t.Figures = resolve(td.Figures, td.FigurePos, "figures")
	t.Previous = resolve(td.Previous, td.PreviousPos, "previous")
	return t
}

// typeEnv is the environment expressions are type-checked against: every
// figure is a float64, named by its id; previous figures by "previous.<id>".
// Chinese names and previous.x member access are rewritten to these keys
// before type checking (see usage).
func typeEnv(f *Form) map[string]any {
	env := make(map[string]any, 2*len(f.Indicators))
	for _, ind := range f.Indicators {
		env[ind.ID] = 0.0
		env[ind.PrevKey] = 0.0
	}
	return env
}

func (c *compiler) expr(ruleID, field string, src rulefmt.Str, env map[string]any, uses *usage, extra ...expr.Option) *vm.Program {
	if strings.TrimSpace(src.Value) == "" {
		if src.Given() {
			c.add(src.Pos, "rule %s: %s must not be empty", ruleID, field)
		}
		return nil
	}
	program, err := compileExpr(src.Value, env, uses, extra...)
	if err != nil {
		c.exprError(ruleID, field, src, err)
		return nil
	}
	return program
}

// exprError reports an expr compile error at its position in the file.
func (c *compiler) exprError(ruleID, field string, src rulefmt.Str, err error) {
	p := src.Pos
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		p = src.At(lineColOffset(src.Value, fe.Line, fe.Column))
	}
	c.add(p, "rule %s: %s: %s", ruleID, field, msg)
}

// lineColOffset is the rune offset of a 1-based line and 0-based column.
func lineColOffset(s string, line, col int) int {
	off := 0
	for _, l := range strings.SplitAfter(s, "\n")[:max(min(line-1, strings.Count(s, "\n")), 0)] {
		off += runes(l)
	}
	return off + col
}
