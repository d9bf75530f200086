package api

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/internal/testpg"
	"github.com/figcheck/figcheck/store"
)

// BenchmarkDecisionsHistory times GET /v1/decisions?unit=U (one unit's
// history with its diffs and changed-to-pass flags) and GET
// /v1/decisions/flagged?period=P with 1,000,000 entries in PostgreSQL,
// bulk-loaded with COPY: 5,000 units, each with 50 attempts in each of 4
// periods; one unit in 20 fails every tenth attempt and then passes
// (flagged), the others pass. Entries carry 10 figures (the
// shipped form's 97 would make the table 3 GB on a shared machine; the
// indexed history query reads one unit's rows whatever their size).
//
//	go test -run '^$' -bench DecisionsHistory -benchtime 200x ./api
//
// FIGCHECK_BENCH_ENTRIES changes the count.
func BenchmarkDecisionsHistory(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("FIGCHECK_BENCH_ENTRIES")); err == nil && v > 0 {
		total = v
	}
	const units, periods = 5000, 4
	perSeries := max(1, total/(units*periods))
	db := testpg.DB(b)
	st, err := store.Open(b.Context(), db, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]decisionlog.Entry, 0, 50_000)
	loaded := 0
	flush := func() {
		if _, err := store.CopyDecisions(b.Context(), st, batch); err != nil {
			b.Fatal(err)
		}
		loaded += len(batch)
		batch = batch[:0]
	}
	failing := []decisionlog.Violation{{Rule: "sport.gold_le_events", Severity: "error", Fields: []string{"events_entered", "gold_medals"}}}
	for u := range units {
		for p := range periods {
			for i := range perSeries {
				e := decisionlog.Entry{
					ID: fmt.Sprintf("%08x%04x%04x", u, p, i), CheckID: fmt.Sprintf("c%x", i), Source: "check",
					Time: t0.Add(time.Duration(((u*periods+p)*perSeries + i)) * time.Second), Form: shippedForm,
					Unit: fmt.Sprintf("单位%05d", u), Period: fmt.Sprintf("%dH%d", 2024+p/2, 1+p%2),
					Ruleset: "bench", Submission: "s", Verdict: "pass", Violated: []decisionlog.Violation{},
					Figures: map[string]any{"gold_medals": float64(i % 9), "events_entered": 8.0, "schools": 120.0,
						"students": 91234.0, "teachers": 7012.0, "benke_rate": 61.5, "tier1_rate": 20.1,
						"fitness_events": 35.0, "fitness_participants": 120000.0, "sports_area_per_capita": 2.6},
					Actor: "bench", Role: "unit",
				}
				if u%20 == 0 && i%10 == 0 {
					e.Verdict, e.Violated = "fail", failing
					e.Figures["gold_medals"] = 12.0
				}
				batch = append(batch, e)
				if len(batch) == cap(batch) {
					flush()
				}
			}
		}
	}
	flush()
	b.Logf("loaded %d entries with COPY in %s", loaded, time.Since(start).Round(time.Millisecond))
	cfg := testConfig()
	cfg.DB = db
	s := newTestServer(b, &cfg)
	b.Run("unit-history", func(b *testing.B) {
		i := 0
		for b.Loop() {
			r := s.get(fmt.Sprintf("/v1/decisions?unit=单位%05d", i%units))
			if r.Status != http.StatusOK {
				b.Fatal(r.Status)
			}
			i += 7
		}
	})
	b.Run("unit-period-history", func(b *testing.B) {
		i := 0
		for b.Loop() {
			r := s.get(fmt.Sprintf("/v1/decisions?form=%s&period=2025H1&unit=单位%05d", shippedForm, i%units))
			if r.Status != http.StatusOK {
				b.Fatal(r.Status)
			}
			i += 7
		}
	})
	b.Run("flagged-period", func(b *testing.B) {
		b.ReportMetric(float64(loaded), "entries")
		for b.Loop() {
			if r := s.get("/v1/decisions/flagged?period=2025H1"); r.Status != http.StatusOK {
				b.Fatal(r.Status)
			}
		}
	})
}

// BenchmarkPreviousFromStore is what taking last period's figures from
// the store adds to a check (answered from the cache, the cheapest path):
// the same submission with previous sent, and without it, on SQLite and
// on PostgreSQL (skipped without one).
//
//	go test -run '^$' -bench PreviousFromStore -benchtime 3000x ./api
func BenchmarkPreviousFromStore(b *testing.B) {
	for _, backend := range []struct {
		name string
		db   func() string
	}{
		{"sqlite", func() string { return "sqlite:" + filepath.Join(b.TempDir(), "f.db") }},
		{"postgres", func() string { return testpg.DB(b) }},
	} {
		b.Run(backend.name, func(b *testing.B) {
			cfg := testConfig()
			cfg.DB = backend.db()
			cfg.DecisionLog.Sink = "off"
			s := newTestServer(b, &cfg)
			if r := s.postJSON("/v1/submissions", mustJSON(b, lastPeriod(b))); r.Status != http.StatusCreated {
				b.Fatalf("%d %s", r.Status, r.Body)
			}
			sent := mustJSON(b, fullSubmission(b))
			cur := fullSubmission(b)
			delete(cur, "previous")
			fromStore := mustJSON(b, cur)
			for name, body := range map[string][]byte{"sent": sent, "store": fromStore} {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						if r := s.postJSON("/v1/check", body); r.Status != http.StatusOK {
							b.Fatal(r.Status)
						}
					}
				})
			}
		})
	}
}
