package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/store"
)

// storeWith makes a SQLite store holding two units' submissions of 2024H1
// and 2025H1 (the full test submission's figures), and a failed then a
// passing check of one unit.
func storeWith(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../api/testdata/full.json")
	if err != nil {
		t.Fatal(err)
	}
	url := "sqlite:" + filepath.Join(t.TempDir(), "figcheck.db")
	st, err := store.Open(t.Context(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, unit := range []string{"甲区", "乙区"} {
		for _, p := range []string{"2024H1", "2025H1", "2025H1"} { // 2025H1 twice: two versions
			var sub struct {
				Figures map[string]any `json:"figures"`
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&sub); err != nil {
				t.Fatal(err)
			}
			s := &store.Submission{Form: "edu_sports_halfyear", Unit: unit, Period: p, Verdict: "pass", Figures: sub.Figures}
			if err := st.AddSubmission(context.Background(), s); err != nil {
				t.Fatal(err)
			}
		}
	}
	t0 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	failed := []decisionlog.Violation{{Rule: "sport.gold_le_events", Severity: "error", Fields: []string{"gold_medals"}}}
	err = st.WriteDecisions(t.Context(), []decisionlog.Entry{
		{ID: "1", Time: t0, Form: "edu_sports_halfyear", Unit: "甲区", Period: "2025H1", Verdict: "fail", Violated: failed, Figures: map[string]any{"gold_medals": 12.0}},
		{ID: "2", Time: t0.Add(time.Minute), Form: "edu_sports_halfyear", Unit: "甲区", Period: "2025H1", Verdict: "pass", Violated: []decisionlog.Violation{}, Figures: map[string]any{"gold_medals": 2.0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return url
}

func TestAuditFromStore(t *testing.T) {
	url := storeWith(t)
	var stdout, stderr bytes.Buffer
	code := run([]string{"audit", "--db", url, "--form", "edu_sports_halfyear", "--period", "2025年上半年", "--format", "json"}, nil, &stdout, &stderr)
	var rep struct {
		Summary struct {
			Rows    int      `json:"rows"`
			Units   int      `json:"units"`
			Periods []string `json:"periods"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, stderr.String())
	}
	// The current version of each unit's 2025H1 and 2024H1: four rows.
	if rep.Summary.Rows != 4 || rep.Summary.Units != 2 || strings.Join(rep.Summary.Periods, ",") != "2024H1,2025H1" {
		t.Fatalf("summary %+v; stderr %s", rep.Summary, stderr.String())
	}
	if !strings.Contains(stderr.String(), "2 current submissions of 2025H1, 2 of the period before") {
		t.Errorf("stderr %q", stderr.String())
	}
	for _, args := range [][]string{
		{"audit", "--db", url, "--form", "edu_sports_halfyear"},                                // no period
		{"audit", "--db", url, "--form", "edu_sports_halfyear", "--period", "2025Q1"},          // bad period
		{"audit", "--db", "mysql://x", "--form", "edu_sports_halfyear", "--period", "2025H1"},  // bad url
		{"audit", "--period", "2025H1", "--form", "edu_sports_halfyear", "x.csv", "--db", url}, // files and --db
	} {
		if code := run(args, nil, &bytes.Buffer{}, &bytes.Buffer{}); code != exitBadArgs {
			t.Errorf("%v: exit %d, want %d", args, code, exitBadArgs)
		}
	}
}

func TestHistoryFromStore(t *testing.T) {
	url := storeWith(t)
	var stdout bytes.Buffer
	if code := run([]string{"history", "--db", url, "--flagged", "--format", "json"}, nil, &stdout, &bytes.Buffer{}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var series []decisionlog.Series
	if err := json.Unmarshal(stdout.Bytes(), &series); err != nil || len(series) != 1 || series[0].Unit != "甲区" || !series[0].ChangedToPass {
		t.Fatalf("flagged %v %s", err, stdout.String())
	}
	if code := run([]string{"history", "--db", url, "--log", "x"}, nil, &bytes.Buffer{}, &bytes.Buffer{}); code != exitBadArgs {
		t.Errorf("--db and --log: exit %d", code)
	}
}
