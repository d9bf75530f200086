package decisionlog

import (
	"fmt"
	"os"
	"slices"
	"testing"
)

func TestHistoryFlagsChangedToPass(t *testing.T) {
	f, err := os.Open("testdata/history.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var entries []Entry
	if bad, err := ReadJSONL(f, "history.jsonl", func(e Entry) { entries = append(entries, e) }); err != nil || bad != 0 {
		t.Fatalf("fixture: %v, %d bad", err, bad)
	}
	series := History(entries)
	byKey := map[string]Series{}
	for _, s := range series {
		byKey[s.Unit+"/"+s.Period] = s
	}
	tests := []struct {
		key      string
		attempts int
		flagged  bool
		changes  string // of the last attempt
		fixed    []string
	}{
		// 9 gold medals for 4 events fails; 3 passes: the figure the failed rule reads changed.
		// "3" and 3, 12 and 12.0 are the same figures; the repeated entry e2 is kept once.
		{"东城区/2026H1", 2, true, "[gold_medals: 9 → 3]", []string{"sports.gold_le_events"}},
		// the failed rule is now skipped (the figure was removed), not passed.
		{"西城区/2026H1", 2, false, "[gold_medals: 9 → (none)]", nil},
		// still failing after the change.
		{"南城区/2026H1", 2, false, "[gold_medals: 9 → 8]", nil},
		// fail → warn with the figure changed counts too: the error is gone.
		{"东城区/2025H2", 2, true, "[gold_medals: 9 → 4]", []string{"sports.gold_le_events"}},
	}
	if len(series) != len(tests) {
		t.Fatalf("%d series, want %d", len(series), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			s, ok := byKey[tt.key]
			if !ok {
				t.Fatal("no series")
			}
			if len(s.Attempts) != tt.attempts || s.ChangedToPass != tt.flagged {
				t.Fatalf("attempts %d flagged %v", len(s.Attempts), s.ChangedToPass)
			}
			first, last := s.Attempts[0], s.Attempts[len(s.Attempts)-1]
			if first.ChangedToPass || len(first.Changes) != 0 {
				t.Fatalf("first attempt has changes or a flag: %+v", first)
			}
			if got := fmt.Sprint(last.Changes); got != tt.changes {
				t.Fatalf("changes %s, want %s", got, tt.changes)
			}
			if last.ChangedToPass != tt.flagged || !slices.Equal(last.FixedRules, tt.fixed) {
				t.Fatalf("last: flag %v fixed %v", last.ChangedToPass, last.FixedRules)
			}
		})
	}
	flagged := Flagged(series)
	if len(flagged) != 2 || flagged[0].Period != "2025H2" || flagged[1].Period != "2026H1" {
		t.Fatalf("flagged %v", flagged)
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		from, to map[string]any
		want     string
	}{
		{map[string]any{"a": 1.0}, map[string]any{"a": "1"}, "[]"},
		{map[string]any{"a": 1.0}, map[string]any{"a": "1.5"}, "[a: 1 → 1.5]"},
		{map[string]any{"a": "95%"}, map[string]any{"a": "95%"}, "[]"},
		{map[string]any{"a": "xx"}, map[string]any{"a": 3.0}, "[a: xx → 3]"},
		{map[string]any{}, map[string]any{"b": 2.0}, "[b: (none) → 2]"},
		{map[string]any{"b": 2.0, "a": 1.0}, nil, "[a: 1 → (none) b: 2 → (none)]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(Diff(tt.from, tt.to)); got != tt.want {
			t.Errorf("Diff(%v, %v) = %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
}
