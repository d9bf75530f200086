package api

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/rules"
)

// TestEncodeEntryMatchesDecode: what a miss keeps from encoding is exactly
// what a later hit decodes from the stored bytes.
func TestEncodeEntryMatchesDecode(t *testing.T) {
	for _, r := range []*checker.Result{
		{Verdict: checker.Pass},
		{Verdict: checker.Fail, Violations: []checker.Violation{
			{Rule: "builtin.placeholder", Severity: rules.SevError},
			{Rule: "edu.tier1_le_benke", Severity: rules.SevError, Fields: map[string]any{"tier1_rate": 9.0, "benke_rate": 8.0}},
			{Rule: "sport.w", Severity: rules.SevWarning, Explained: true},
			{Rule: "party.i", Severity: rules.SevInfo},
		}, Skipped: []checker.Skip{{Rule: "a.b"}}, EvalErrors: []checker.EvalError{{Rule: "c.d"}}},
	} {
		entry, got := encodeEntry(r)
		want, err := decodeEntry(entry)
		if err != nil {
			t.Fatal(err)
		}
		if got.Verdict != want.Verdict || !reflect.DeepEqual(got.outcome, want.outcome) || !bytes.Equal(got.body, want.body) {
			t.Errorf("encode kept %+v, decode read %+v", got, want)
		}
		if n := len(unexplained(got.Violated)); n != len(r.Violations)-countExplained(r) {
			t.Errorf("kept %d unexplained violations, want %d", n, len(r.Violations)-countExplained(r))
		}
	}
	for _, bad := range []string{"", "v1 pass \n{}", "v2 {}\n{}", "v2 {\"verdict\":\"pass\"}", "v2 {\"verdict\":\"pass\"}\n[]"} {
		if _, err := decodeEntry([]byte(bad)); err == nil {
			t.Errorf("decodeEntry(%q) accepted", bad)
		}
	}
}

func unexplained(vs []decisionlog.Violation) []decisionlog.Violation {
	var out []decisionlog.Violation
	for _, v := range vs {
		if !v.Explained {
			out = append(out, v)
		}
	}
	return out
}

func countExplained(r *checker.Result) int {
	n := 0
	for _, v := range r.Violations {
		if v.Explained {
			n++
		}
	}
	return n
}

// TestLogEntrySameOnHitAndMiss: the decision log entry of a cached answer
// is the entry of the miss that computed it, but for its own id, time and
// the cached flag (issue 11: one constructor for both).
func TestLogEntrySameOnHitAndMiss(t *testing.T) {
	s := newTestServer(t, nil)
	body := []byte(`{"form":"edu_sports_halfyear","unit":"东区","period":"2025H1","figures":{"gold_medals":9,"events_entered":4,"金牌数率":1,"pass_rate":"xx"},"explanations":{"nope":"说明"}}`)
	for i := range 2 {
		if r := s.postJSON("/v1/check", body); r.Status != 200 || r.JSON(t)["cached"] != (i == 1) {
			t.Fatalf("check %d: %d %s", i, r.Status, trunc(r.Body))
		}
	}
	if err := s.DecisionLog().Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, err := s.trail.reader.Entries(t.Context(), decisionlog.Filter{})
	if err != nil || len(entries) != 2 {
		t.Fatalf("entries %d, %v; want 2", len(entries), err)
	}
	miss, hit := entries[0], entries[1]
	if miss.Cached || !hit.Cached {
		t.Fatalf("cached flags: miss %v, hit %v", miss.Cached, hit.Cached)
	}
	if len(miss.Violated) == 0 || len(miss.Skipped) == 0 {
		t.Fatalf("the miss logged no violations or skipped rules: %+v", miss)
	}
	for _, e := range []*decisionlog.Entry{&miss, &hit} {
		e.ID, e.Time, e.Cached = "", time.Time{}, false
	}
	if !reflect.DeepEqual(miss, hit) {
		t.Errorf("the entries differ:\nmiss %+v\nhit  %+v", miss, hit)
	}
}
