package sqlcheck_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/sqlcheck"
)

// TestAuditPostgres compares the report of a table checked in PostgreSQL
// with figcheck audit's report of the same rows: the same rows listed,
// with the same violations, messages, fields and check ids, and the same
// summary of row checks.
func TestAuditPostgres(t *testing.T) {
	ctx, conn := pgConn(t)
	for _, tc := range agreementCases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.form(t)
			rows := generate(f, 3000, 5)
			table := "audit_" + tc.name
			loadPostgres(t, ctx, conn, f, table, false, rows)
			// Two rows without a period: counted as a problem, not checked.
			if _, err := conn.Exec(ctx, `INSERT INTO `+table+` (unit, period) VALUES ('无期间', '')`); err != nil {
				t.Fatal(err)
			}
			q, err := sqlcheck.Build(f, sqlcheck.Options{Table: table, Figures: true})
			if err != nil {
				t.Fatal(err)
			}
			b, mismatches, err := sqlcheck.AuditPostgres(ctx, conn, q)
			if err != nil || mismatches != 0 {
				t.Fatalf("AuditPostgres: %d mismatches, %v", mismatches, err)
			}
			got := b.Report()

			// figcheck audit, restricted to the rules the query evaluates.
			sub := *f
			sub.Rules = q.Rules
			a, err := audit.New(&sub, audit.Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Read("file", &sliceReader{rows: rows}); err != nil {
				t.Fatal(err)
			}
			want := a.Finish()

			gotRows, wantRows := slices.Collect(got.Rows()), slices.Collect(want.Rows())
			t.Logf("%d rows, %d listed, pass %d warn %d fail %d", got.Summary.Rows, len(gotRows), got.Summary.Pass, got.Summary.Warn, got.Summary.Fail)
			if len(gotRows) == 0 {
				t.Fatal("no rows listed")
			}
			key := func(r audit.RowReport) string { return r.Unit + "\x00" + r.Period }
			byKey := map[string]audit.RowReport{}
			for _, r := range wantRows {
				byKey[key(r)] = r
			}
			if len(gotRows) != len(wantRows) {
				t.Errorf("%d rows listed, figcheck audit lists %d", len(gotRows), len(wantRows))
			}
			for i, r := range gotRows {
				w := byKey[key(r)]
				r.File, r.Row, w.File, w.Row = "", 0, "", 0
				if g, e := mustJSON(t, r), mustJSON(t, w); g != e && i < 1000 {
					t.Errorf("row %s %s differs:\n  table: %s\n  file:  %s", r.Unit, r.Period, g, e)
					break
				}
			}
			gs, ws := got.Summary, want.Summary
			if gs.Rows != ws.Rows || gs.Units != ws.Units || gs.Pass != ws.Pass || gs.Warn != ws.Warn || gs.Fail != ws.Fail ||
				!slices.Equal(gs.Periods, ws.Periods) || mustJSON(t, gs.TopRules) != mustJSON(t, ws.TopRules) {
				t.Errorf("summary differs:\n  table: %+v\n  file:  %+v", gs, ws)
			}
			// The untranslated rules and the keyless row are problems.
			if len(got.Problems) != len(tc.untranslated)+1 {
				t.Errorf("problems %v, want %d untranslated rules and the row without a period", got.Problems, len(tc.untranslated))
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
