package checker

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr/vm"
	"github.com/figcheck/figcheck/rules"
)

// Checker evaluates forms. The zero value is ready to use and safe for
// concurrent use.
type Checker struct {
	pool sync.Pool
}

// state is what one evaluation borrows: a VM and the environment map, with
// per-indicator flags sized for the largest form seen.
type state struct {
	vm vm.VM
	fr rules.Frame // the figures as numbers, for rules compiled to closures
	// env is the same figures for expr's VM, built only when a rule or a
	// message part needs the VM (envForm is set once it is built).
	env      map[string]any
	envForm  *rules.Form
	form     *rules.Form
	have     []bool // current figure present and a number
	bad      []bool // current figure present but unusable
	havePrev []bool
	badPrev  []bool
	raw      []any // submitted current values, by indicator index
	rawPrev  []any
	ev       rules.Evaluation // reads fr, vm and envMap
	// lean leaves out what only a reader of the violations needs:
	// messages, fields and the list of skipped rules (see Outcome).
	lean bool
	// figs, when set, are the figures loaded, which rules' violations
	// read their fields from when encoded (Render).
	figs *Values
}

func (c *Checker) get(n int) *state {
	s, _ := c.pool.Get().(*state)
	if s == nil {
		s = &state{env: make(map[string]any, 2*n)}
		s.ev = rules.Evaluation{Frame: &s.fr, VM: &s.vm, Env: s.envMap}
	}
	if cap(s.fr.Cur) < n {
		s.fr.Cur, s.fr.Prev = make([]float64, n), make([]float64, n)
	}
	s.fr.Cur, s.fr.Prev, s.fr.Err = s.fr.Cur[:n], s.fr.Prev[:n], nil
	s.envForm, s.lean, s.figs = nil, false, nil
	if cap(s.have) < n {
		s.have, s.bad = make([]bool, n), make([]bool, n)
		s.havePrev, s.badPrev = make([]bool, n), make([]bool, n)
		s.raw, s.rawPrev = make([]any, n), make([]any, n)
	}
	s.have, s.bad = s.have[:n], s.bad[:n]
	s.havePrev, s.badPrev = s.havePrev[:n], s.badPrev[:n]
	s.raw, s.rawPrev = s.raw[:n], s.rawPrev[:n]
	clear(s.have)
	clear(s.bad)
	clear(s.havePrev)
	clear(s.badPrev)
	clear(s.raw)
	clear(s.rawPrev)
	clear(s.env)
	return s
}

func (c *Checker) put(s *state) {
	clear(s.raw) // do not keep submitted values alive in the pool
	clear(s.rawPrev)
	clear(s.env)
	s.figs = nil
	c.pool.Put(s)
}

// Check evaluates every rule of f on s. It never fails: problems with the
// submission are violations of builtin rules, and rules that cannot run are
// listed as skipped or as evaluation errors.
func (c *Checker) Check(f *rules.Form, s *Submission) *Result {
	return c.CheckWithID(f, s, CheckID(f, SubmissionDigest(s)))
}

// CheckWithID is Check with a check id the caller has already computed
// (with CheckID), as a cache does to build its key.
func (c *Checker) CheckWithID(f *rules.Form, s *Submission, checkID string) *Result {
	p := Place(f, s)
	defer p.Release()
	return c.CheckPlaced(p, checkID)
}

// CheckPlaced is CheckWithID for a submission already placed.
func (c *Checker) CheckPlaced(p *Placed, checkID string) *Result {
	f, s := p.Form, p.Sub
	st, r := c.begin(f, s.Unit, s.Period, checkID)
	defer c.put(st)
	unknown := st.load(f, &p.cur, s.Figures, false, r, nil)
	unknown = st.load(f, &p.prev, s.Previous, true, r, unknown)
	addHints(f, r, 0, unknown)
	st.evaluate(f, s.Explanations, r)
	return r
}

// begin borrows a state for f and starts its result.
func (c *Checker) begin(f *rules.Form, unit, period, checkID string) (*state, *Result) {
	st := c.get(len(f.Indicators))
	st.form = f
	return st, &Result{
		CheckID: checkID, Form: f.ID, Unit: unit, Period: period, Ruleset: f.Digest,
		Violations: []Violation{}, Skipped: []Skip{}, EvalErrors: []EvalError{},
	}
}

// evaluate runs what comes after the figures are loaded: required figures,
// explanations that name no rule, every rule, and the summary.
func (st *state) evaluate(f *rules.Form, explanations map[string]string, r *Result) {
	st.unfilled(f, explanations, r)
	r.Summary.Rules = len(f.Rules)
	for _, rule := range f.Rules {
		st.eval(rule, explanations, r)
	}
	r.finish()
}

// unfilled reports, once the figures are loaded, the required figures
// missing and the explanations that name no rule.
func (st *state) unfilled(f *rules.Form, explanations map[string]string, r *Result) {
	for _, ind := range f.Indicators {
		if ind.Required && !st.have[ind.Index] && !st.bad[ind.Index] {
			if st.lean {
				r.add(Violation{Rule: BuiltinRequired, Name: "必填指标未填写", Severity: rules.SevError, order: ind.Index, key: ind.ID})
				continue
			}
			r.add(Violation{
				Rule: BuiltinRequired, Name: "必填指标未填写", Severity: rules.SevError,
				Message: fmt.Sprintf("「%s」为必填指标，尚未填写", ind.Name),
				Fields:  map[string]any{ind.ID: nil}, order: ind.Index, key: ind.ID,
			})
		}
	}
	for id := range explanations {
		if _, ok := f.Rule(id); !ok && !strings.HasPrefix(id, "builtin.") {
			r.add(Violation{
				Rule: BuiltinUnknownExplanation, Name: "说明对应的规则不存在", Severity: rules.SevInfo,
				Message: fmt.Sprintf("说明所对应的规则“%s”不存在，该说明未被使用", id),
				Fields:  map[string]any{}, order: len(f.Indicators), key: id,
			})
		}
	}
}

// load normalises submitted values, vals as pl placed them, into the
// environment, reporting builtin violations for values that are unusable.
// It returns unknown with the keys the form does not know appended. The
// keys were resolved by a rules.Placement, whose policy for a figure given
// twice (by id and by name) is the one of every intake: reported, neither
// value used.
func (st *state) load(f *rules.Form, pl *rules.Placement[any], vals map[string]any, prev bool, r *Result, unknown []string) []string {
	if pl.Placed == 0 {
		return unknown
	}
	prefix, bad := "", st.bad
	if prev {
		prefix, bad = "previous.", st.badPrev
	}
	for i, g := range pl.Given {
		v := pl.Vals[i]
		if (g != rules.ByID && g != rules.ByName) || v == nil { // null is the same as not given
			continue
		}
		ind := f.Indicators[i]
		field := ind.ID
		if prev {
			field = ind.PrevKey
		}
		st.loadValue(ind, field, v, prev, r)
	}
	keys := pl.Keys()
	addUnknown(f, prefix, vals, keys.Unknown, r)
	unknown = append(unknown, keys.Unknown...)
	for _, ind := range keys.Twice {
		field := prefix + ind.ID
		r.add(Violation{
			Rule: BuiltinDuplicateField, Name: "指标重复填写", Severity: rules.SevError,
			Message: fmt.Sprintf("「%s」被重复填写（指标代码与中文名称各填了一次）", ind.Name),
			Fields:  map[string]any{field: vals[ind.ID], prefix + ind.Name: vals[ind.Name]}, order: ind.Index, key: field,
		})
		bad[ind.Index] = true
	}
	return unknown
}

// maxUnknown is how many unknown figures get a violation each; more are
// summarised in one, so that a body of invented keys gets a short answer.
const maxUnknown = 20

// unknownListed is how many names the summary lists.
const unknownListed = 10

// addUnknown reports the keys f does not know: one violation each, or
// one for all of them with the first names when there are many.
func addUnknown(f *rules.Form, prefix string, vals map[string]any, keys []string, r *Result) {
	if len(keys) <= maxUnknown {
		for _, k := range keys {
			r.add(unknownField(f, prefix, k, vals[k]))
		}
		return
	}
	sorted := slices.Sorted(slices.Values(keys))
	first := sorted[:unknownListed]
	fields := make(map[string]any, len(first))
	names := make([]string, len(first))
	for i, k := range first {
		fields[prefix+k] = vals[k]
		names[i] = strconv.Quote(prefix + k)
	}
	r.add(Violation{
		Rule: BuiltinUnknownField, Name: "未知指标", Severity: rules.SevError,
		Message: fmt.Sprintf("表单中没有以下 %d 个指标：%s 等（只列出前 %d 个），请核对是否选错了表单", len(keys), strings.Join(names, "、"), unknownListed),
		Fields:  fields, order: len(f.Indicators), key: prefix + first[0],
	})
}

// loadValue normalises one submitted value of ind, given as field.
func (st *state) loadValue(ind *rules.Indicator, field string, v any, prev bool, r *Result) {
	have, bad, raw, nums := st.have, st.bad, st.raw, st.fr.Cur
	if prev {
		have, bad, raw, nums = st.havePrev, st.badPrev, st.rawPrev, st.fr.Prev
	}
	raw[ind.Index] = v
	x, err := NormalizeFor(v, ind)
	if err != nil {
		bad[ind.Index] = true
		viol := valueViolation(ind, field, v, err, st.lean)
		r.add(viol)
		return
	}
	have[ind.Index] = true
	nums[ind.Index] = x
	if !prev {
		st.checkRange(ind, field, x, v, r)
	}
}

// checkRange reports a usable current value outside the indicator's bounds.
func (st *state) checkRange(ind *rules.Indicator, field string, x float64, v any, r *Result) {
	if (ind.Min != nil && x < *ind.Min) || (ind.Max != nil && x > *ind.Max) {
		if st.lean {
			r.add(Violation{Rule: BuiltinRange, Name: "数值超出范围", Severity: rules.SevError, order: ind.Index, key: field})
			return
		}
		r.add(Violation{
			Rule: BuiltinRange, Name: "数值超出范围", Severity: rules.SevError,
			Message: fmt.Sprintf("「%s」为%s%s，超出允许范围%s", ind.Name, rules.FormatValue(x), ind.Unit, bounds(ind)),
			Fields:  map[string]any{field: v}, order: ind.Index, key: field,
		})
	}
}

// boxed holds the small whole numbers, already in an interface: most
// figures are small counts, and putting a float64 in an any allocates.
var boxed = func() (b [4096]any) {
	for i := range b {
		b[i] = float64(i)
	}
	return b
}()

// unboxed is what box(x) holds: x, but 0 for -0 (the box of 0).
func unboxed(x float64) float64 {
	if x == 0 {
		return 0
	}
	return x
}

func box(x float64) any {
	if x >= 0 && x < float64(len(boxed)) && x == float64(int(x)) {
		return boxed[int(x)]
	}
	return x
}

func bounds(ind *rules.Indicator) string {
	switch {
	case ind.Min != nil && ind.Max != nil:
		return fmt.Sprintf("%s–%s%s", rules.FormatValue(*ind.Min), rules.FormatValue(*ind.Max), ind.Unit)
	case ind.Min != nil:
		return fmt.Sprintf("不低于%s%s", rules.FormatValue(*ind.Min), ind.Unit)
	case ind.Max != nil:
		return fmt.Sprintf("不高于%s%s", rules.FormatValue(*ind.Max), ind.Unit)
	}
	return ""
}

// notAsWritten says why a number is not taken as the unit typed it.
var notAsWritten = map[error]string{
	ErrExcelDisplay:  "是 Excel 显示的近似值，请填写完整数字",
	ErrScientific:    "是科学计数法，请填写完整数字",
	ErrTrailingPoint: "以小数点结尾，请删去小数点或补全小数",
	ErrInexact:       "过大（绝对值须小于 2^53），无法精确计算，请核对数字",
}

// valueViolation is the violation of an unusable value; lean leaves out
// the message and fields.
func valueViolation(ind *rules.Indicator, field string, v any, err error, lean bool) Violation {
	viol := Violation{Severity: rules.SevError, order: ind.Index, key: field}
	var ue *UnitError
	if lean {
		switch {
		case errors.As(err, &ue):
			viol.Rule, viol.Name = BuiltinType, "单位不符"
		case err == ErrPlaceholder:
			viol.Rule, viol.Name = BuiltinPlaceholder, "模板占位符未替换"
		default:
			viol.Rule, viol.Name = BuiltinType, "数值类型不符"
		}
		return viol
	}
	viol.Fields = map[string]any{field: v}
	if errors.As(err, &ue) {
		viol.Rule, viol.Name = BuiltinType, "单位不符"
		viol.Message = fmt.Sprintf("「%s」填写的单位是“%s”，本项以“%s”填报，请换算成%s后填写", ind.Name, ue.Given, ue.Want, ue.Want)
		return viol
	}
	switch err {
	case ErrPlaceholder:
		viol.Rule, viol.Name = BuiltinPlaceholder, "模板占位符未替换"
		viol.Message = fmt.Sprintf("「%s」仍是模板占位符“%s”，请填写实际数字", ind.Name, fmt.Sprint(v))
	case ErrFraction:
		viol.Rule, viol.Name = BuiltinType, "数值类型不符"
		viol.Message = fmt.Sprintf("「%s」应为整数%s，填写的是%v", ind.Name, ind.Unit, v)
	default:
		viol.Rule, viol.Name = BuiltinType, "数值类型不符"
		if why, ok := notAsWritten[err]; ok {
			viol.Message = fmt.Sprintf("「%s」填写的%s%s", ind.Name, describe(v), why)
		} else {
			viol.Message = fmt.Sprintf("「%s」不是有效数字：%s", ind.Name, describe(v))
		}
	}
	return viol
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return "“" + x + "”"
	case bool:
		return fmt.Sprintf("布尔值 %v", x)
	case map[string]any:
		return "对象"
	case []any:
		return "数组"
	}
	return fmt.Sprintf("%v", v)
}

func unknownField(f *rules.Form, prefix, key string, v any) Violation {
	msg := "表单中没有指标“" + prefix + key + "”"
	return Violation{
		Rule: BuiltinUnknownField, Name: "未知指标", Severity: rules.SevError,
		Message: msg, Fields: map[string]any{prefix + key: v}, order: len(f.Indicators), key: prefix + key,
	}
}

// eval runs one rule and records its outcome in r.
func (st *state) eval(rule *rules.Rule, explanations map[string]string, r *Result) {
	if st.lean && st.skips(rule) {
		r.Summary.Skipped++
		return
	}
	var missing, invalid []string
	for _, ind := range rule.Uses {
		if !st.have[ind.Index] {
			if st.bad[ind.Index] {
				invalid = append(invalid, ind.ID)
			} else {
				missing = append(missing, ind.ID)
			}
		}
	}
	for _, ind := range rule.UsesPrevious {
		if !st.havePrev[ind.Index] {
			if st.badPrev[ind.Index] {
				invalid = append(invalid, ind.PrevKey)
			} else {
				missing = append(missing, ind.PrevKey)
			}
		}
	}
	if missing != nil || invalid != nil {
		reason := SkipMissing
		if missing == nil {
			reason = SkipInvalid
		}
		r.Skipped = append(r.Skipped, Skip{Rule: rule.ID, Name: rule.Name, Reason: reason, Missing: missing, Invalid: invalid})
		return
	}
	if rule.WhenCond != nil {
		ok, err := rule.WhenCond.Eval(&st.ev)
		if err != nil {
			r.EvalErrors = append(r.EvalErrors, st.evalError(rule, "when: "+err.Error()))
			return
		}
		if !ok {
			if st.lean {
				r.Summary.Skipped++
				return
			}
			r.Skipped = append(r.Skipped, Skip{Rule: rule.ID, Name: rule.Name, Reason: SkipCondition})
			return
		}
	}
	r.Summary.Evaluated++
	ok, err := rule.Cond.Eval(&st.ev)
	switch {
	case err != nil:
		r.EvalErrors = append(r.EvalErrors, st.evalError(rule, err.Error()))
	case ok:
		r.Summary.Passed++
	default:
		r.add(st.violation(rule, explanations))
	}
}

// violation is the violation of rule by the figures loaded: the one place
// a rule's violation is made, by a check and by Render. A lean check leaves out the message and fields; with figs set
// (Render for a JSON encoder) the fields are left to the encoder, which
// reads them from figs.
func (st *state) violation(rule *rules.Rule, explanations map[string]string) Violation {
	v := Violation{Rule: rule.ID, Name: rule.Name, Severity: rule.Severity}
	if !st.lean {
		v.Message = rule.Message.Render(&st.ev)
		if st.figs != nil {
			v.figs = st.figs
		} else {
			v.Fields = st.fields(rule)
		}
	}
	if len(rule.Uses) > 0 {
		v.order = rule.Uses[0].Index
	}
	if text := strings.TrimSpace(explanations[rule.ID]); text != "" && rule.Severity == rules.SevWarning {
		v.Explained, v.Explanation = true, text
	}
	return v
}

// skips reports whether a figure the rule reads is absent or unusable.
func (st *state) skips(rule *rules.Rule) bool {
	for _, ind := range rule.Uses {
		if !st.have[ind.Index] {
			return true
		}
	}
	for _, ind := range rule.UsesPrevious {
		if !st.havePrev[ind.Index] {
			return true
		}
	}
	return false
}

// envMap returns the figures as expr's VM reads them, building the map on
// first use in this evaluation.
func (st *state) envMap() map[string]any {
	if st.envForm == st.form {
		return st.env
	}
	clear(st.env)
	for _, ind := range st.form.Indicators {
		if st.have[ind.Index] {
			st.env[ind.ID] = box(st.fr.Cur[ind.Index])
		}
		if st.havePrev[ind.Index] {
			st.env[ind.PrevKey] = box(st.fr.Prev[ind.Index])
		}
	}
	st.envForm = st.form
	return st.env
}

func (st *state) evalError(rule *rules.Rule, msg string) EvalError {
	return EvalError{Rule: rule.ID, Name: rule.Name, Severity: rule.Severity, Error: msg, Fields: st.fields(rule)}
}

// fields returns every figure a rule reads with the value as submitted.
func (st *state) fields(rule *rules.Rule) map[string]any {
	m := make(map[string]any, len(rule.Uses)+len(rule.UsesPrevious))
	eachField(rule, func(key string, i int, prev bool) { m[key] = st.value(i, prev) })
	return m
}

// eachField calls fn with the fields of a rule's violation or evaluation
// error: every figure the rule reads, current ones by id and previous ones
// by "previous.<id>", with its index and whether it is of the previous
// period.
func eachField(rule *rules.Rule, fn func(key string, i int, prev bool)) {
	for _, ind := range rule.Uses {
		fn(ind.ID, ind.Index, false)
	}
	for _, ind := range rule.UsesPrevious {
		fn(ind.PrevKey, ind.Index, true)
	}
}

// value is a figure as submitted: as written, or the number when it was
// loaded as one (CheckValues), or nil when absent.
func (st *state) value(i int, prev bool) any {
	raw, have, nums := st.raw, st.have, st.fr.Cur
	if prev {
		raw, have, nums = st.rawPrev, st.havePrev, st.fr.Prev
	}
	if raw[i] == nil && have[i] {
		return box(nums[i])
	}
	return raw[i]
}

func (r *Result) add(v Violation) {
	r.Violations = append(r.Violations, v)
}

// finish sorts violations (severity, rule id, field order) and computes the
// summary and verdict.
func (r *Result) finish() {
	slices.SortStableFunc(r.Violations, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Severity, b.Severity), cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.order, b.order), cmp.Compare(a.key, b.key))
	})
	for _, v := range r.Violations {
		switch {
		case v.Explained:
			r.Summary.Explained++
		case v.Severity == rules.SevError:
			r.Summary.Errors++
		case v.Severity == rules.SevWarning:
			r.Summary.Warnings++
		default:
			r.Summary.Infos++
		}
	}
	r.Summary.Skipped += len(r.Skipped) // a lean check counts them as it goes
	r.Summary.EvalErrors = len(r.EvalErrors)
	switch {
	case r.Summary.Errors > 0:
		r.Verdict = Fail
	case r.Summary.Warnings > 0:
		r.Verdict = Warn
	default:
		r.Verdict = Pass
	}
}
