package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// auditBatch writes a CSV batch of units × 2 periods from the full
// submission, each unit's figures scaled a little differently.
func auditBatch(b *testing.B, units int) []byte {
	sub := fullSubmission(b)
	figs := sub["figures"].(map[string]any)
	keys := make([]string, 0, len(figs))
	for k := range figs {
		keys = append(keys, k)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(append([]string{"unit", "period"}, keys...))
	for u := range units {
		for _, p := range []string{"2024H2", "2025H1"} {
			row := []string{fmt.Sprintf("单位%05d", u), p}
			for _, k := range keys {
				cell := fmt.Sprint(figs[k])
				if x, ok := figs[k].(float64); ok && x >= 100 && x == math.Trunc(x) {
					cell = strconv.Itoa(int(x) + u%7)
				}
				row = append(row, cell)
			}
			_ = w.Write(row)
		}
	}
	w.Flush()
	return buf.Bytes()
}

// BenchmarkAuditService posts a 2,000-row CSV batch to /v1/audit with the
// decision log on (every row is logged); rows/s is the figure to compare
// with `figcheck audit` (package audit's BenchmarkAudit).
func BenchmarkAuditService(b *testing.B) {
	s := newTestServer(b, nil)
	data := auditBatch(b, 1000)
	h := s.Handler()
	done := cpuPerOp(b)
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/audit?form="+shippedForm, bytes.NewReader(data))
		req.Header.Set("Content-Type", "text/csv")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, trunc(rec.Body.Bytes()))
		}
	}
	done()
	b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "rows/s")
}
