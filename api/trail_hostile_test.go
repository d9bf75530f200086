package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
)

// TestHiddenAttemptStaysVisible: a failing attempt padded to make its
// log entry huge, then a passing one. Both attempts must be in the
// history, with the changed-to-pass flag, and in the auditor's listing.
func TestHiddenAttemptStaysVisible(t *testing.T) {
	manyKeys := func(t *testing.T) []byte {
		sub := fullSubmission(t)
		sub["unit"] = trailUnit
		figs := sub["figures"].(map[string]any)
		figs["gold_medals"] = 11
		for i := range 60000 {
			figs[fmt.Sprintf("junk_%05d", i)] = 1
		}
		return mustJSON(t, sub)
	}
	bigValue := func(t *testing.T) []byte {
		return []byte("[" + string(submission(t, trailUnit, map[string]any{"gold_medals": 11, "junk": strings.Repeat("x", 5<<20)})) + "]")
	}
	for _, tc := range []struct {
		name string
		path string
		body func(*testing.T) []byte
	}{
		{"60000 unknown keys", "/v1/check", manyKeys},
		{"one 5 MB value in a batch", "/v1/check/batch", bigValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTrailServer(t, func(c *Config) { c.Limits.CheckBody, c.Limits.BatchBody = 2<<20, 8<<20 })
			body := tc.body(t)
			if tc.path == "/v1/check" && len(body) < 800<<10 {
				t.Fatalf("the attack body is only %d bytes", len(body))
			}
			r := s.as("unit", "POST", tc.path, body)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"verdict":"fail"`) {
				t.Fatalf("attack: %d %s", r.Status, trunc(r.Body))
			}
			time.Sleep(2 * time.Millisecond)
			if r := s.as("unit", "POST", "/v1/check", submission(t, trailUnit, map[string]any{"gold_medals": 3})); r.Status != http.StatusOK {
				t.Fatalf("passing check: %d", r.Status)
			}
			// The server waits only 500 ms for the log; under -race the
			// 60,000 keys take longer to summarise.
			if err := s.DecisionLog().Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			r = s.as("unit", "GET", "/v1/decisions?form="+shippedForm+"&period=2025H1", nil)
			var got struct {
				Series     []decisionlog.Series
				Unreadable decisionlog.Unread
			}
			if err := json.Unmarshal(r.Body, &got); err != nil || len(got.Series) != 1 {
				t.Fatalf("%d %v %s", r.Status, err, trunc(r.Body))
			}
			ser := got.Series[0]
			if len(ser.Attempts) != 2 || !ser.ChangedToPass || ser.Attempts[0].Verdict != "fail" || got.Unreadable.Count != 0 {
				t.Fatalf("attempts %d, changed to pass %v, unreadable %d", len(ser.Attempts), ser.ChangedToPass, got.Unreadable.Count)
			}
			if o := ser.Attempts[0].Omitted; o == nil || (o.Keys != 60000 && o.Values != 1) {
				t.Fatalf("the first attempt does not say what was summarised: %+v", o)
			}
			r = s.as("auditor", "GET", "/v1/decisions/flagged?period=2025H1", nil)
			var flagged struct{ Units []flaggedUnit }
			if err := json.Unmarshal(r.Body, &flagged); err != nil || len(flagged.Units) != 1 || flagged.Units[0].Attempts != 2 {
				t.Fatalf("flagged: %s", trunc(r.Body))
			}
			// Every line stays small whatever was sent.
			data, err := os.ReadFile(filepath.Join(s.dir, "decisions.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if len(line) > 64<<10 {
					t.Fatalf("line %d is %d bytes", i+1, len(line))
				}
			}
		})
	}
}

// TestUnreadableRecordsAreReported: a line no reader can decode is in
// the answer, counted, never skipped.
func TestUnreadableRecordsAreReported(t *testing.T) {
	s := newTrailServer(t, nil)
	if r := s.as("unit", "POST", "/v1/check", submission(t, trailUnit, map[string]any{"gold_medals": 11})); r.Status != http.StatusOK {
		t.Fatalf("check: %d", r.Status)
	}
	if err := s.DecisionLog().Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A rotated file (read in full; the live one is read up to what the
	// sink wrote) with a line cut short.
	rotated := filepath.Join(s.dir, "decisions.jsonl.20250101T000000.000000000Z")
	line := fmt.Sprintf("{\"id\":\"gone\",\"form\":%q,\"unit\":%q,\"period\":\"2025H1\",\"verdict\":\"fail\",\"figures\":{\"x\"\n", shippedForm, trailUnit)
	if err := os.WriteFile(rotated, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	r := s.as("auditor", "GET", "/v1/decisions?unit="+trailUnit, nil)
	var got struct {
		Series     []decisionlog.Series
		Unreadable decisionlog.Unread
	}
	if err := json.Unmarshal(r.Body, &got); err != nil || r.Status != http.StatusOK {
		t.Fatalf("%d %v", r.Status, err)
	}
	if got.Unreadable.Count != 1 || got.Unreadable.Records[0].Where != filepath.Base(rotated)+":1" {
		t.Fatalf("unreadable %+v", got.Unreadable)
	}
	if len(got.Series) != 1 || len(got.Series[0].Attempts) != 2 || got.Series[0].Attempts[0].Unreadable == nil {
		t.Fatalf("the unreadable attempt is not in the unit's series: %s", trunc(r.Body))
	}
}

// TestBatchItemsCountAgainstTheRateLimit: each item of a batch takes one
// request from the token's bucket; a batch larger than what is left gets
// 429 naming the limit, one larger than the burst 413.
func TestBatchItemsCountAgainstTheRateLimit(t *testing.T) {
	s := newTrailServer(t, func(c *Config) { c.RateLimit = RateLimitConfig{PerSecond: 0.001, Burst: 10} })
	item := string(submission(t, trailUnit, nil))
	batch := func(n int) []byte { return []byte("[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]") }
	if r := s.as("unit", "POST", "/v1/check/batch", batch(6)); r.Status != http.StatusOK {
		t.Fatalf("6 items within a burst of 10: %d %s", r.Status, trunc(r.Body))
	}
	// More items than the burst can never pass: too many, not too early
	// (no Retry-After that would have the client retry for ever).
	r := s.as("unit", "POST", "/v1/check/batch", batch(11))
	e := assertError(t, r, http.StatusRequestEntityTooLarge, CodeTooManyItems)
	if !strings.Contains(e.Message, "11 submissions") || !strings.Contains(e.Message, "rate_limit.burst") || r.Header.Get("Retry-After") != "" {
		t.Fatalf("message does not name the limit: %q (Retry-After %q)", e.Message, r.Header.Get("Retry-After"))
	}
	// 10 - 6 - 1 (the refused request itself) leaves 3: 5 items are too
	// many now, and are told to wait.
	r = s.as("unit", "POST", "/v1/check/batch", batch(5))
	e = assertError(t, r, http.StatusTooManyRequests, CodeRateLimited)
	if !strings.Contains(e.Message, "5 requests") || !strings.Contains(e.Message, "bursts of 10") || r.Header.Get("Retry-After") == "" {
		t.Fatalf("message does not name the limit: %q", e.Message)
	}
}

// TestNullBodyIsMalformed: a bare null is not a submission without a
// form but not a submission at all, as docs/api.md says.
func TestNullBodyIsMalformed(t *testing.T) {
	s := newTestServer(t, nil)
	for _, body := range []string{"null", " null\n"} {
		assertError(t, s.postJSON("/v1/check", []byte(body)), http.StatusBadRequest, CodeMalformedJSON)
	}
	r := s.postJSON("/v1/check/batch", []byte("[null]"))
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"code":"`+CodeMalformedJSON+`"`) {
		t.Fatalf("batch item null: %d %s", r.Status, trunc(r.Body))
	}
}
