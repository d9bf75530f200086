package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// PeriodBatch is the current submissions of a period together with those
// of the period before (previous may be ""), as NDJSON rows of
// {"unit", "period", "figures"}: the batch format the audit reads, so that
// an audit from the store reads its rows the way it reads an upload. It
// says how many rows of each period it holds.
func PeriodBatch(ctx context.Context, s Store, form, period, previous string) (*bytes.Buffer, [2]int, error) {
	var b bytes.Buffer
	var n [2]int
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for i, p := range []string{previous, period} {
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
		n[1-i] = len(subs)
	}
	return &b, n, nil
}
