package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/period"
)

// AuditPeriod gives a the current submissions of a period of its form and
// those of the period before (for the cross-period rules and the jumps),
// without an export: the rows go through the audit's NDJSON reader, the
// path an uploaded batch takes. p is normalised by the form's period
// scheme; it returns the canonical period and how many rows of it and of
// the period before were read.
func AuditPeriod(ctx context.Context, s Store, a *audit.Auditor, p string) (string, [2]int, error) {
	f := a.Form()
	scheme, err := period.Lookup(f.PeriodScheme)
	if err != nil {
		return "", [2]int{}, err
	}
	if p, err = scheme.Normalize(p); err != nil {
		return "", [2]int{}, err
	}
	batch, n, err := periodBatch(ctx, s, f.ID, p, scheme.Previous(p))
	if err != nil {
		return p, n, err
	}
	rr, err := audit.NewReader(f, batch, audit.FormatNDJSON, "")
	if err != nil {
		return p, n, err
	}
	return p, n, a.Read("db", rr)
}

// periodBatch is the current submissions of period and of previous
// (which may be "") as NDJSON rows of {"unit", "period", "figures"}, with
// the count of each.
func periodBatch(ctx context.Context, s Store, form, period, previous string) (*bytes.Buffer, [2]int, error) {
	var b bytes.Buffer
	var n [2]int
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for i, p := range []string{period, previous} {
		if p == "" {
			continue
		}
		subs, err := s.Current(ctx, Query{Form: form, Period: p})
		if err != nil {
			return nil, n, err
		}
		for _, sub := range subs {
			row := struct {
				Unit    string         `json:"unit"`
				Period  string         `json:"period"`
				Figures map[string]any `json:"figures"`
			}{sub.Unit, sub.Period, sub.Figures}
			if err := enc.Encode(row); err != nil {
				return nil, n, fmt.Errorf("store: submission %s: %w", sub.ID, err)
			}
		}
		n[i] = len(subs)
	}
	return &b, n, nil
}
