package decisionlog

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/figcheck/figcheck/internal/jsonenc"
)

// appendEntry appends e as one line of JSON, the same document
// encoding/json makes of it (HTML not escaped), several times faster:
// the figures map is most of an entry, and reflection over it was most of
// the decision log's cost. The figures' keys come in map order.
func appendEntry(b []byte, e *Entry) []byte {
	b = append(b, `{"id":`...)
	b = jsonenc.AppendString(b, e.ID)
	b = append(b, `,"check_id":`...)
	b = jsonenc.AppendString(b, e.CheckID)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","source":`...)
	b = jsonenc.AppendString(b, e.Source)
	b = append(b, `,"form":`...)
	b = jsonenc.AppendString(b, e.Form)
	b = append(b, `,"unit":`...)
	b = jsonenc.AppendString(b, e.Unit)
	b = append(b, `,"period":`...)
	b = jsonenc.AppendString(b, e.Period)
	b = append(b, `,"ruleset":`...)
	b = jsonenc.AppendString(b, e.Ruleset)
	b = append(b, `,"submission":`...)
	b = jsonenc.AppendString(b, e.Submission)
	b = append(b, `,"verdict":`...)
	b = jsonenc.AppendString(b, e.Verdict)
	b = append(b, `,"violated":[`...)
	for i, v := range e.Violated {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"rule":`...)
		b = jsonenc.AppendString(b, v.Rule)
		b = append(b, `,"severity":`...)
		b = jsonenc.AppendString(b, v.Severity)
		if len(v.Fields) > 0 {
			b = append(b, `,"fields":[`...)
			for j, f := range v.Fields {
				if j > 0 {
					b = append(b, ',')
				}
				b = jsonenc.AppendString(b, f)
			}
			b = append(b, ']')
		}
		if v.Explained {
			b = append(b, `,"explained":true`...)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if len(e.Skipped) > 0 {
		b = append(b, `,"skipped":[`...)
		for i, s := range e.Skipped {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonenc.AppendString(b, s)
		}
		b = append(b, ']')
	}
	b = append(b, `,"figures":`...)
	b = appendFigures(b, e.Figures)
	b = append(b, `,"actor":`...)
	b = jsonenc.AppendString(b, e.Actor)
	b = append(b, `,"role":`...)
	b = jsonenc.AppendString(b, e.Role)
	if e.Cached {
		b = append(b, `,"cached":true`...)
	}
	if e.Omitted != nil {
		j, _ := json.Marshal(e.Omitted) // small: bounded by Limits
		b = append(b, `,"omitted":`...)
		b = append(b, j...)
	}
	return append(b, '}')
}

func appendFigures(b []byte, m map[string]any) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	// Keys in map order: sorting them cost a fifth of the log's CPU, and
	// readers do not care about the order.
	b = append(b, '{')
	first := true
	for k, v := range m {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = jsonenc.AppendString(b, k)
		b = append(b, ':')
		b = appendValue(b, v)
	}
	return append(b, '}')
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return jsonenc.AppendString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return jsonenc.AppendFloat(b, x)
		}
	case json.Number:
		if jsonenc.ValidNumber(string(x)) {
			return append(b, x...)
		}
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}
