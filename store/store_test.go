package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/internal/testpg"
	"github.com/figcheck/figcheck/store"
)

// backends opens a fresh store of each kind for t: SQLite in a temp dir,
// and PostgreSQL in a database of its own (skipped when none answers,
// unless required).
func backends(t *testing.T, fn func(t *testing.T, s store.Store, url string)) {
	t.Run("sqlite", func(t *testing.T) {
		url := "sqlite:" + filepath.Join(t.TempDir(), "figcheck.db")
		fn(t, open(t, url), url)
	})
	t.Run("postgres", func(t *testing.T) {
		url := testpg.DB(t)
		fn(t, open(t, url), url)
	})
}

func open(t *testing.T, url string) store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), url, store.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sub(unit, period string, figures map[string]any) *store.Submission {
	return &store.Submission{
		Form: "f", Unit: unit, Period: period, Verdict: "pass", Ruleset: "r1", Digest: "d", Actor: "a", Role: "admin",
		Figures: figures, Explanations: map[string]string{"w": "说明"},
		Result: json.RawMessage(`{"verdict":"pass"}`), Receipt: json.RawMessage(`{"v":1}`),
		PreviousSource: json.RawMessage(`{"from":"none"}`),
	}
}

func TestSubmissionsVersioned(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store, _ string) {
		ctx := t.Context()
		first := sub("甲", "2025H1", map[string]any{"gold": json.Number("9"), "rate": json.Number("95.50")})
		if err := s.AddSubmission(ctx, first); err != nil {
			t.Fatal(err)
		}
		second := sub("甲", "2025H1", map[string]any{"gold": json.Number("4")})
		if err := s.AddSubmission(ctx, second); err != nil {
			t.Fatal(err)
		}
		other := sub("乙", "2025H1", map[string]any{"gold": json.Number("1")})
		older := sub("甲", "2024H2", map[string]any{"gold": json.Number("2")})
		for _, x := range []*store.Submission{other, older} {
			if err := s.AddSubmission(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		if first.Version != 1 || second.Version != 2 || other.Version != 1 || first.ID == second.ID {
			t.Fatalf("versions %d %d %d, ids %s %s", first.Version, second.Version, other.Version, first.ID, second.ID)
		}
		// Nothing is overwritten: the first version is still there, exactly.
		got, err := s.Submission(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || got.Figures["rate"] != json.Number("95.50") || got.Explanations["w"] != "说明" ||
			string(got.Result) != `{"verdict":"pass"}` || string(got.Receipt) != `{"v":1}` || got.Time.IsZero() {
			t.Errorf("first version read back as %+v", got)
		}
		if _, err := s.Submission(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}
		for _, tc := range []struct {
			q    store.Query
			want []string
		}{
			{store.Query{Form: "f", Period: "2025H1"}, []string{other.ID, second.ID}}, // 乙 before 甲
			{store.Query{Form: "f", Unit: "甲"}, []string{older.ID, second.ID}},
			{store.Query{Form: "f", Unit: "甲", Period: "2025H1"}, []string{second.ID}},
			{store.Query{Form: "g"}, nil},
			{store.Query{Form: "f", Limit: 1}, []string{other.ID}},
		} {
			cur, err := s.Current(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range cur {
				ids = append(ids, c.ID)
				if c.Result != nil {
					t.Errorf("Current carries the check result")
				}
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Errorf("Current(%+v) = %v, want %v", tc.q, ids, tc.want)
			}
		}
	})
}

// Concurrent resubmissions get distinct, gapless versions.
func TestSubmissionsConcurrent(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store, url string) {
		other := open(t, url) // a second replica on the same database
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				db := s
				if i%2 == 1 {
					db = other
				}
				errs <- db.AddSubmission(context.Background(), sub("甲", "2025H1", map[string]any{"i": i}))
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		cur, err := s.Current(t.Context(), store.Query{Form: "f", Unit: "甲"})
		if err != nil || len(cur) != 1 || cur[0].Version != n {
			t.Fatalf("current after %d concurrent submissions: %+v %v", n, cur, err)
		}
	})
}

func entry(id, unit, verdict string, at time.Time, figures map[string]any, violated ...decisionlog.Violation) decisionlog.Entry {
	if violated == nil {
		violated = []decisionlog.Violation{}
	}
	return decisionlog.Entry{
		ID: id, CheckID: "c" + id, Time: at, Source: "check", Form: "f", Unit: unit, Period: "2025H1",
		Verdict: verdict, Violated: violated, Figures: figures, Actor: "a", Role: "unit:" + unit,
	}
}

func TestDecisions(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store, _ string) {
		ctx := t.Context()
		t0 := time.Date(2026, 7, 1, 8, 0, 0, 123456789, time.UTC)
		failing := decisionlog.Violation{Rule: "gold_le_events", Severity: "error", Fields: []string{"events", "gold"}}
		batch := []decisionlog.Entry{
			entry("1", "甲", "fail", t0, map[string]any{"gold": 9.0, "events": 4.0}, failing),
			entry("2", "甲", "pass", t0.Add(time.Minute), map[string]any{"gold": 4.0, "events": 4.0}),
			entry("3", "乙", "pass", t0.Add(2*time.Minute), map[string]any{"gold": 1.0}),
			entry("4", "丙", "fail", t0.Add(3*time.Minute), map[string]any{"gold": 9.0}, failing),
		}
		if err := s.WriteDecisions(ctx, batch); err != nil {
			t.Fatal(err)
		}
		// A replayed batch (the log retries, the spill replays) adds nothing.
		if err := s.WriteDecisions(ctx, batch[:2]); err != nil {
			t.Fatal(err)
		}
		all, err := s.Decisions(ctx, decisionlog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 || all[0].ID != "1" || !all[0].Time.Equal(t0) || all[0].Violated[0].Rule != "gold_le_events" {
			t.Fatalf("entries: %+v", all)
		}
		mine, err := s.Decisions(ctx, decisionlog.Filter{Unit: "甲", Form: "f", Period: "2025H1"})
		if err != nil || len(mine) != 2 {
			t.Fatalf("unit history: %d %v", len(mine), err)
		}
		flagged, err := s.FlaggedDecisions(ctx, decisionlog.Filter{Period: "2025H1"})
		if err != nil {
			t.Fatal(err)
		}
		series := decisionlog.Flagged(decisionlog.History(flagged))
		if len(flagged) != 2 || len(series) != 1 || series[0].Unit != "甲" {
			t.Fatalf("flagged: %d entries, %+v", len(flagged), series)
		}
		n, err := s.PurgeDecisions(ctx, t0.Add(90*time.Second))
		if err != nil || n != 2 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if rest, _ := s.Decisions(ctx, decisionlog.Filter{}); len(rest) != 2 {
			t.Errorf("after purge: %d entries", len(rest))
		}
	})
}

// Replicas opening one database at once migrate it once, under the lock.
func TestOpenTogether(t *testing.T) {
	backends(t, func(t *testing.T, _ store.Store, url string) {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				s, err := store.Open(context.Background(), url, store.Options{})
				if err != nil {
					t.Error(err)
					return
				}
				s.Close()
			})
		}
		wg.Wait()
	})
}

func TestOpenBadURL(t *testing.T) {
	for _, u := range []string{"mysql://x", "sqlite:", "", "postgres://u:secret@127.0.0.1:1/x?connect_timeout=1"} {
		_, err := store.Open(t.Context(), u, store.Options{})
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if got := err.Error(); strings.Contains(got, "secret") {
			t.Errorf("Open(%q): the error shows the password: %s", u, got)
		}
	}
}
