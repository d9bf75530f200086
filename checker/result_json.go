package checker

import "github.com/figcheck/figcheck/internal/jsonenc"

// The JSON encoders of the result's parts write what encoding/json writes
// of them (HTML not escaped), without reflection: a batch report encodes
// hundreds of thousands of them.

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
	e.Raw(`{"rule":`)
	e.String(v.Rule)
	e.Raw(`,"name":`)
	e.String(v.Name)
	e.Raw(`,"severity":`)
	e.String(v.Severity.String())
	e.Raw(`,"message":`)
	e.String(v.Message)
	e.Raw(`,"fields":`)
	e.Map(v.Fields)
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
	e.Raw(`{"rule":`)
	e.String(x.Rule)
	e.Raw(`,"name":`)
	e.String(x.Name)
	e.Raw(`,"severity":`)
	e.String(x.Severity.String())
	e.Raw(`,"error":`)
	e.String(x.Error)
	e.Raw(`,"fields":`)
	e.Map(x.Fields)
	e.Raw(`}`)
}
