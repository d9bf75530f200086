package audit

import (
	"math"

	"github.com/figcheck/figcheck/internal/jsonenc"
)

// The JSON encoders of what the JSON report streams (rows, findings, case
// files, problems) write what encoding/json writes of them, HTML not
// escaped, without reflection (TestJSONEncoders compares the two).

func (r *RowReport) encodeJSON(e *jsonenc.Encoder) {
	e.Raw(`{`)
	if r.File != "" {
		e.Raw(`"file":`)
		e.String(r.File)
		e.Raw(`,`)
	}
	e.Raw(`"row":`)
	e.Int(r.Row)
	e.Raw(`,"unit":`)
	e.String(r.Unit)
	e.Raw(`,"period":`)
	e.String(r.Period)
	e.Raw(`,"check_id":`)
	e.String(r.CheckID)
	e.Raw(`,"verdict":`)
	e.String(r.Verdict)
	e.Raw(`,"summary":`)
	r.Summary.EncodeJSON(e)
	e.Raw(`,"violations":`)
	if r.Violations == nil {
		e.Raw(`null`)
	} else {
		e.Raw(`[`)
		for i := range r.Violations {
			if i > 0 {
				e.Raw(`,`)
			}
			r.Violations[i].EncodeJSON(e)
		}
		e.Raw(`]`)
	}
	if len(r.EvalErrors) > 0 {
		e.Raw(`,"eval_errors":[`)
		for i := range r.EvalErrors {
			if i > 0 {
				e.Raw(`,`)
			}
			r.EvalErrors[i].EncodeJSON(e)
		}
		e.Raw(`]`)
	}
	e.Raw(`}`)
}

func (f *Finding) encodeJSON(e *jsonenc.Encoder) {
	h := f.head() // what the finding shares with others of its test, read once
	e.Raw(`{"kind":`)
	e.String(f.Kind)
	optString(e, `,"check":`, h.check)
	e.Raw(`,"severity":`)
	e.String(h.severity)
	e.Raw(`,"unit":`)
	e.String(f.Unit)
	optString(e, `,"period":`, h.period)
	optString(e, `,"peer":`, h.peer)
	optString(e, `,"indicator":`, h.indicator)
	optString(e, `,"indicator_name":`, h.name)
	if vals := f.Values(); len(vals) > 0 {
		e.Raw(`,"values":`)
		e.Floats(vals)
	}
	e.Raw(`,"statistic":`)
	e.String(h.statistic)
	e.Raw(`,"value":`)
	e.Float(f.Value)
	e.Raw(`,"threshold":`)
	e.Float(h.threshold)
	e.Raw(`,"p":`)
	e.Float(f.P)
	e.Raw(`,"reason":`)
	e.Text(f.AppendReason)
	e.Raw(`}`)
}

// encodeJSON writes a case file of r at its rank (its place in r.Cases,
// from 1), its items and reasons rendered from r's.
func (c *Case) encodeJSON(e *jsonenc.Encoder, r *Report, rank int) {
	e.Raw(`{"rank":`)
	e.Int(rank)
	e.Raw(`,"unit":`)
	e.String(c.Unit)
	e.Raw(`,"severity":`)
	e.String(c.Severity())
	e.Raw(`,"significant":`)
	e.Bool(c.Significant)
	e.Raw(`,"certain":`)
	e.Bool(c.Certain)
	e.Raw(`,"p":`)
	e.Float(c.P)
	e.Raw(`,"q":`)
	e.Float(c.Q)
	e.Raw(`,"score":`)
	e.Float(c.Score())
	e.Raw(`,"tests":`)
	e.Strings(c.Tests())
	e.Raw(`,"findings":`)
	e.Int(int(c.Findings))
	e.Raw(`,"row_errors":`)
	e.Int(int(c.RowErrors))
	e.Raw(`,"row_warnings":`)
	e.Int(int(c.RowWarnings))
	e.Raw(`,"summary":`)
	e.Text(func(b []byte) []byte { return appendCaseSummary(b, c, &r.caseParts, r.Findings) })
	e.Raw(`,"items":[`)
	for i, it := range r.Items(c) {
		if i > 0 {
			e.Raw(`,`)
		}
		it.encodeJSON(e, r, c.Unit, r.Reasons(c, i))
	}
	e.Raw(`]}`)
}

// encodeJSON writes an evidence item of r's case of unit, of the given
// reasons, its cell and reasons from r's findings.
func (it *Evidence) encodeJSON(e *jsonenc.Encoder, r *Report, unit string, reasons []int32) {
	period, indicator, name, peer := itemCell(r.Findings, unit, reasons)
	// Every member before "p" may be left out: each is written with the
	// comma that follows it.
	e.Raw(`{`)
	itemString(e, `"period":`, period)
	itemString(e, `"indicator":`, indicator)
	itemString(e, `"indicator_name":`, name)
	itemString(e, `"peer":`, peer)
	itemFloat(e, `"value":`, it.Value)
	itemFloat(e, `"peer_median":`, it.PeerMedian)
	itemFloat(e, `"expected":`, it.Expected)
	itemFloat(e, `"previous":`, it.Previous)
	itemString(e, `"previous_period":`, r.PreviousPeriod(it))
	e.Raw(`"p":`)
	e.Float(itemP(r.Findings, reasons))
	e.Raw(`,"reasons":[`)
	for i, f := range reasons {
		if i > 0 {
			e.Raw(`,`)
		}
		encodeReasonJSON(e, r.Findings, f)
	}
	e.Raw(`]}`)
}

// encodeReasonJSON writes the reason (a Reason) that the finding
// findings[i] gives an evidence item.
func encodeReasonJSON(e *jsonenc.Encoder, findings []Finding, i int32) {
	f := &findings[i]
	h := f.head()
	e.Raw(`{"kind":`)
	e.String(f.Kind)
	optString(e, `,"check":`, h.check)
	e.Raw(`,"severity":`)
	e.String(h.severity)
	e.Raw(`,"statistic":`)
	e.String(h.statistic)
	e.Raw(`,"value":`)
	e.Float(f.Value)
	e.Raw(`,"threshold":`)
	e.Float(h.threshold)
	e.Raw(`,"p":`)
	e.Float(reasonP(f))
	e.Raw(`,"finding":`)
	e.Int(int(i))
	e.Raw(`,"reason":`)
	e.Text(f.AppendReason)
	e.Raw(`}`)
}

func (p *Problem) encodeJSON(e *jsonenc.Encoder) {
	e.Raw(`{`)
	if p.File != "" {
		e.Raw(`"file":`)
		e.String(p.File)
		e.Raw(`,`)
	}
	e.Raw(`"row":`)
	e.Int(p.Row)
	optString(e, `,"column":`, p.Column)
	optString(e, `,"unit":`, p.Unit)
	optString(e, `,"period":`, p.Period)
	e.Raw(`,"message":`)
	e.String(p.Message)
	e.Raw(`}`)
}

// optString appends a member left out when empty (omitempty).
func optString(e *jsonenc.Encoder, key, s string) {
	if s != "" {
		e.Raw(key)
		e.String(s)
	}
}

// itemString appends a member of an evidence item and the comma after
// it, left out when empty.
func itemString(e *jsonenc.Encoder, key, s string) {
	if s != "" {
		e.Raw(key)
		e.String(s)
		e.Raw(`,`)
	}
}

// itemFloat appends a member of an evidence item and the comma after it,
// left out when NaN (a figure not known).
func itemFloat(e *jsonenc.Encoder, key string, x float64) {
	if !math.IsNaN(x) {
		e.Raw(key)
		e.Float(x)
		e.Raw(`,`)
	}
}

// MarshalJSON writes the finding as its encoder does (see Finding).
func (f Finding) MarshalJSON() ([]byte, error) {
	var e jsonenc.Encoder
	f.encodeJSON(&e)
	return e.B, e.Err
}
