package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAuditLimits: an upload over a configured audit limit is a 413 that
// names the limit and its config key; under the limits it is answered.
// Before the limits, each of these was read whole and answered 200 (or
// went on growing: docs/security.md).
func TestAuditLimits(t *testing.T) {
	rows := func(n int) string {
		var b strings.Builder
		b.WriteString("单位,期间\n")
		for i := range n {
			fmt.Fprintf(&b, "u%d,2025H1\n", i)
		}
		return b.String()
	}
	cfg := testConfig()
	cfg.Limits.AuditRows = 500
	cfg.Limits.AuditCells = 97 * 300
	cfg.Limits.AuditColumns = 1000
	cfg.Limits.AuditLineBytes = 64 << 10
	s := newTestServer(t, &cfg)
	for _, tc := range []struct {
		name, body, key string
	}{
		{"rows × indicators", rows(400), "audit_cells"},
		{"long line", "单位,期间" + strings.Repeat(",", 100<<10) + "\n", "audit_line_bytes"},
		{"wide header", "单位,期间" + strings.Repeat(",x", 2000) + "\n", "audit_columns"},
	} {
		r := s.do(http.MethodPost, "/v1/audit?form="+shippedForm, "text/csv", []byte(tc.body))
		if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.Body), tc.key) {
			t.Errorf("%s: status %d %s, want 413 naming %s", tc.name, r.Status, trunc(r.Body), tc.key)
		}
	}
	r := s.do(http.MethodPost, "/v1/audit?form="+shippedForm, "text/csv", []byte(rows(200)))
	if r.Status != http.StatusOK {
		t.Errorf("200 rows: status %d %s", r.Status, trunc(r.Body))
	}
}
