package checker

import (
	"crypto/sha256"
	"encoding/binary"
	"math"

	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules"
)

// Values is a submission whose figures are already placed by indicator
// index, as a batch reader holds them. Checking it gives the result
// checking v.Submission(f) gives, without building and reading a map per
// row.
type Values struct {
	Unit, Period string
	// Nums holds the figures that are numbers, by indicator index; NaN
	// where a figure is absent or given in Raw.
	Nums []float64
	// Raw holds figures still as written ("1,200", "85%", "xx"), by
	// indicator index; nil where a figure is in Nums or absent. Raw may be
	// nil when every figure is in Nums.
	Raw []any
	// Prev holds the previous period's figures, by indicator index; NaN
	// where absent. Nil when there is no previous period.
	Prev []float64
	// Explanations maps warning rule ids to the unit's explanation, as
	// Submission.Explanations does.
	Explanations map[string]string
}

// Submission returns v as a submission of form f: numbers as float64,
// other figures as written.
func (v *Values) Submission(f *rules.Form) *Submission {
	s := &Submission{Form: f.ID, Unit: v.Unit, Period: v.Period, Figures: make(map[string]any), Explanations: v.Explanations}
	for i, ind := range f.Indicators {
		if x := v.raw(i); x != nil {
			s.Figures[ind.ID] = x
		} else if v.num(i) {
			s.Figures[ind.ID] = v.Nums[i]
		}
	}
	if v.Prev != nil {
		s.Previous = make(map[string]any)
		for i, ind := range f.Indicators {
			if v.prev(i) {
				s.Previous[ind.ID] = v.Prev[i]
			}
		}
	}
	return s
}

// CheckValues is CheckWithID for figures placed by index. Entries beyond
// the form's indicators are ignored.
func (c *Checker) CheckValues(f *rules.Form, v *Values, checkID string) *Result {
	st, r := c.begin(f, v.Unit, v.Period, checkID)
	defer c.put(st)
	st.loadValues(f, v, r)
	st.evaluate(f, v.Explanations, r)
	return r
}

// Outcome is CheckValues without what only a reader of the violations
// needs, for a batch that renders them later: r gets the verdict, the
// summary, the violations with their rule, name and severity only (no
// message, no fields) and the evaluation errors; skipped rules are
// counted, not listed. r is reset and its slices reused, so that a batch
// checks row after row without allocating. The verdict, summary and
// violated rules are those CheckValues gives.
func (c *Checker) Outcome(f *rules.Form, v *Values, r *Result) {
	st := c.get(len(f.Indicators))
	defer c.put(st)
	st.form, st.lean = f, true
	r.reset(f, v, "")
	st.loadValues(f, v, r)
	st.evaluate(f, v.Explanations, r)
}

// Render is CheckValues(f, v, checkID) for figures already checked, made
// from what their check found: the number of rules it skipped and the
// form's rules it violated (in any order), with no evaluation error. No
// rule is evaluated again: only the violated rules' messages and fields
// are made, and the builtin rules' violations by loading the figures. The
// result is CheckValues' but for the skipped rules, which are counted,
// not listed. r is reset and its slices reused, as Outcome does. With enc
// (f's NewFormJSON), the violations of the form's rules keep their Fields
// nil and EncodeJSON writes them from v, which must not change until
// then: a JSON report needs no map per violation.
func (c *Checker) Render(f *rules.Form, v *Values, skipped int, violated []*rules.Rule, checkID string, enc *FormJSON, r *Result) {
	st := c.get(len(f.Indicators))
	defer c.put(st)
	st.form = f
	if enc != nil {
		st.figs = v
	}
	r.reset(f, v, checkID)
	st.loadValues(f, v, r)
	st.unfilled(f, v.Explanations, r)
	for _, rule := range violated {
		viol := st.violation(rule, v.Explanations)
		if enc != nil {
			viol.enc = enc.of(rule)
		}
		r.add(viol)
	}
	s := &r.Summary
	s.Rules, s.Skipped = len(f.Rules), skipped
	s.Evaluated = s.Rules - s.Skipped // no evaluation error: every rule not skipped ran
	s.Passed = s.Evaluated - len(violated)
	r.finish()
}

// encodeFields appends the fields of a violation of a rule reading fields,
// as Violation.EncodeJSON writes Fields: keys sorted, values as
// state.value gives them for the figures v loads (every figure a violated
// rule reads is there: a rule missing one is skipped).
func (v *Values) encodeFields(e *jsonenc.Encoder, fields []jsonField) {
	e.Raw("{")
	for k, fd := range fields {
		if k > 0 {
			e.Raw(",")
		}
		e.Raw(fd.key)
		switch {
		case fd.prev && v.prev(fd.i):
			e.Float(unboxed(v.Prev[fd.i]))
		case fd.prev:
			e.Raw("null")
		case v.raw(fd.i) != nil:
			e.Value(v.raw(fd.i))
		case v.num(fd.i):
			e.Float(unboxed(v.Nums[fd.i]))
		default:
			e.Raw("null")
		}
	}
	e.Raw("}")
}

// reset starts r as the result of checking v, reusing its slices.
func (r *Result) reset(f *rules.Form, v *Values, checkID string) {
	*r = Result{CheckID: checkID, Form: f.ID, Unit: v.Unit, Period: v.Period, Ruleset: f.Digest,
		Violations: emptied(r.Violations), Skipped: emptied(r.Skipped), EvalErrors: emptied(r.EvalErrors)}
}

// emptied is s emptied, not nil (a result's lists are never null).
func emptied[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s[:0]
}

// loadValues loads the figures of v.
func (st *state) loadValues(f *rules.Form, v *Values, r *Result) {
	for i, ind := range f.Indicators {
		if x := v.raw(i); x != nil {
			st.loadValue(ind, ind.ID, x, false, r)
		} else if v.num(i) {
			st.loadNumber(ind, v.Nums[i], false, r)
		}
	}
	for i, ind := range f.Indicators {
		if v.prev(i) {
			st.loadNumber(ind, v.Prev[i], true, r)
		}
	}
}

// loadNumber is loadValue for a number, which needs boxing (an allocation
// for most figures) only when a violation shows it; fields boxes the
// numbers it lists.
func (st *state) loadNumber(ind *rules.Indicator, x float64, prev bool, r *Result) {
	if math.IsInf(x, 0) || (ind.Type == rules.Integer && x != math.Trunc(x)) {
		field := ind.ID
		if prev {
			field = ind.PrevKey
		}
		st.loadValue(ind, field, x, prev, r)
		return
	}
	if prev {
		st.havePrev[ind.Index], st.fr.Prev[ind.Index] = true, x
		return
	}
	st.have[ind.Index], st.fr.Cur[ind.Index] = true, x
	if (ind.Min != nil && x < *ind.Min) || (ind.Max != nil && x > *ind.Max) {
		st.checkRange(ind, ind.ID, x, x, r)
	}
}

// Digest is SubmissionDigest(v.Submission(f)), computed from the vectors:
// the form lists its indicators in the order the canonical encoding sorts
// the keys in, so there is no map to build and no key to sort.
func (v *Values) Digest(f *rules.Form) [32]byte {
	sc := digestPool.Get().(*digestScratch)
	buf := sc.buf[:0]
	buf = appendString(buf, f.ID)
	buf = appendString(buf, v.Unit)
	buf = appendString(buf, v.Period)
	byID := f.IndicatorsByID()
	n := 0
	for _, ind := range byID {
		if v.raw(ind.Index) != nil || v.num(ind.Index) {
			n++
		}
	}
	buf = binary.AppendUvarint(buf, uint64(n))
	for _, ind := range byID {
		if x := v.raw(ind.Index); x != nil {
			buf = appendValue(appendString(buf, ind.ID), x)
		} else if v.num(ind.Index) {
			buf = appendFloat(appendString(buf, ind.ID), v.Nums[ind.Index])
		}
	}
	n = 0
	for _, ind := range byID {
		if v.prev(ind.Index) {
			n++
		}
	}
	buf = binary.AppendUvarint(buf, uint64(n))
	for _, ind := range byID {
		if v.prev(ind.Index) {
			buf = appendFloat(appendString(buf, ind.ID), v.Prev[ind.Index])
		}
	}
	keys := sortedKeys(sc.keys[:0], v.Explanations)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = appendString(buf, k)
		buf = appendString(buf, v.Explanations[k])
	}
	buf = appendString(buf, "") // no text
	d := sha256.Sum256(buf)
	clear(keys)
	sc.buf, sc.keys = buf, keys[:0]
	if cap(sc.buf) <= 1<<20 {
		digestPool.Put(sc)
	}
	return d
}

// raw is figure i as written, or nil.
func (v *Values) raw(i int) any {
	if i < len(v.Raw) {
		return v.Raw[i]
	}
	return nil
}

// num reports whether figure i is a number in Nums (and not in Raw).
func (v *Values) num(i int) bool {
	return v.raw(i) == nil && i < len(v.Nums) && !math.IsNaN(v.Nums[i])
}

// prev reports whether the previous period has figure i.
func (v *Values) prev(i int) bool { return i < len(v.Prev) && !math.IsNaN(v.Prev[i]) }
