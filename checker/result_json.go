package checker

import (
	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules"
)

// The JSON encoders of the result's parts write what encoding/json writes
// of them (HTML not escaped), without reflection: a batch report encodes
// hundreds of thousands of them.

// EncodeJSON appends the result: a cache entry's and a check answer's
// body.
func (r *Result) EncodeJSON(e *jsonenc.Encoder) {
	e.Raw(`{"check_id":`)
	e.String(r.CheckID)
	e.Raw(`,"form":`)
	e.String(r.Form)
	e.Raw(`,"unit":`)
	e.String(r.Unit)
	e.Raw(`,"period":`)
	e.String(r.Period)
	e.Raw(`,"ruleset":`)
	e.String(r.Ruleset)
	e.Raw(`,"verdict":`)
	e.String(r.Verdict)
	e.Raw(`,"summary":`)
	r.Summary.EncodeJSON(e)
	e.Raw(`,"violations":`)
	encodeList(e, r.Violations, (*Violation).EncodeJSON)
	e.Raw(`,"skipped":`)
	encodeList(e, r.Skipped, (*Skip).EncodeJSON)
	e.Raw(`,"eval_errors":`)
	encodeList(e, r.EvalErrors, (*EvalError).EncodeJSON)
	e.Raw(`}`)
}

// encodeList appends a list (nil is null), each element by enc.
func encodeList[T any](e *jsonenc.Encoder, xs []T, enc func(*T, *jsonenc.Encoder)) {
	if xs == nil {
		e.Raw(`null`)
		return
	}
	e.Raw(`[`)
	for i := range xs {
		if i > 0 {
			e.Raw(`,`)
		}
		enc(&xs[i], e)
	}
	e.Raw(`]`)
}

// EncodeJSON appends the skipped rule.
func (s *Skip) EncodeJSON(e *jsonenc.Encoder) {
	e.Raw(`{"rule":`)
	e.String(s.Rule)
	e.Raw(`,"name":`)
	e.String(s.Name)
	e.Raw(`,"reason":`)
	e.String(s.Reason)
	if len(s.Missing) > 0 {
		e.Raw(`,"missing":`)
		e.Strings(s.Missing)
	}
	if len(s.Invalid) > 0 {
		e.Raw(`,"invalid":`)
		e.Strings(s.Invalid)
	}
	e.Raw(`}`)
}

// EncodeJSON appends the summary.
func (s *Summary) EncodeJSON(e *jsonenc.Encoder) {
	e.Raw(`{"rules":`)
	e.Int(s.Rules)
	e.Raw(`,"evaluated":`)
	e.Int(s.Evaluated)
	e.Raw(`,"passed":`)
	e.Int(s.Passed)
	e.Raw(`,"errors":`)
	e.Int(s.Errors)
	e.Raw(`,"warnings":`)
	e.Int(s.Warnings)
	e.Raw(`,"infos":`)
	e.Int(s.Infos)
	e.Raw(`,"skipped":`)
	e.Int(s.Skipped)
	e.Raw(`,"explained":`)
	e.Int(s.Explained)
	e.Raw(`,"eval_errors":`)
	e.Int(s.EvalErrors)
	e.Raw(`}`)
}

// EncodeJSON appends the violation, its fields in sorted key order.
func (v *Violation) EncodeJSON(e *jsonenc.Encoder) {
	if v.enc != nil {
		e.B = append(e.B, v.enc.head...)
	} else {
		encodeRuleHead(e, v.Rule, v.Name, v.Severity)
	}
	e.Raw(`,"message":`)
	e.String(v.Message)
	e.Raw(`,"fields":`)
	if v.enc != nil {
		v.figs.encodeFields(e, v.enc.fields)
	} else {
		e.Map(v.Fields)
	}
	if v.Explained {
		e.Raw(`,"explained":true`)
	}
	if v.Explanation != "" {
		e.Raw(`,"explanation":`)
		e.String(v.Explanation)
	}
	e.Raw(`}`)
}

// EncodeJSON appends the evaluation error.
func (x *EvalError) EncodeJSON(e *jsonenc.Encoder) {
	encodeRuleHead(e, x.Rule, x.Name, x.Severity)
	e.Raw(`,"error":`)
	e.String(x.Error)
	e.Raw(`,"fields":`)
	e.Map(x.Fields)
	e.Raw(`}`)
}

// encodeRuleHead opens the object of a violation or an evaluation error
// with the rule's members: {"rule":…,"name":…,"severity":…
func encodeRuleHead(e *jsonenc.Encoder, rule, name string, sev rules.Severity) {
	e.Raw(`{"rule":`)
	e.String(rule)
	e.Raw(`,"name":`)
	e.String(name)
	e.Raw(`,"severity":`)
	e.String(sev.String())
}
