package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/checker"
)

// TestCacheHit: the same submission twice gives the same result and
// check_id, cached the second time; submissions that differ only in the
// order of their keys are the same submission.
func TestCacheHit(t *testing.T) {
	s := newTestServer(t, nil)
	body := mustJSON(t, fullSubmission(t))
	first := s.postJSON("/v1/check", body).JSON(t)
	second := s.postJSON("/v1/check", body).JSON(t)
	if first["cached"] != false || second["cached"] != true {
		t.Fatalf("cached: first %v, second %v", first["cached"], second["cached"])
	}
	if first["check_id"] == "" || first["check_id"] != second["check_id"] {
		t.Fatalf("check ids %v and %v", first["check_id"], second["check_id"])
	}
	// "cached" differs by design; a receipt (when signing is on) is made
	// per answer, with its own time.
	for _, k := range []string{"cached", "receipt"} {
		delete(first, k)
		delete(second, k)
	}
	if string(mustJSON(t, first)) != string(mustJSON(t, second)) {
		t.Fatalf("a cached answer differs from the evaluated one:\n%s\n%s", mustJSON(t, first), mustJSON(t, second))
	}
	reordered := `{"figures":{"gold_medals":1,"events_entered":2},"period":"2025H1","unit":"u","form":"edu_sports_halfyear"}`
	ordered := `{"form":"edu_sports_halfyear","unit":"u","period":"2025H1","figures":{"events_entered":2,"gold_medals":1}}`
	a, b := s.postJSON("/v1/check", []byte(ordered)).JSON(t), s.postJSON("/v1/check", []byte(reordered)).JSON(t)
	if a["check_id"] != b["check_id"] || b["cached"] != true {
		t.Fatalf("key order changes the submission: %v/%v cached=%v", a["check_id"], b["check_id"], b["cached"])
	}
	other := s.postJSON("/v1/check", []byte(strings.Replace(ordered, `"u"`, `"v"`, 1))).JSON(t)
	if other["check_id"] == a["check_id"] || other["cached"] != false {
		t.Fatalf("another unit shares the check id")
	}
	text := s.metricsText()
	if !strings.Contains(text, `figcheck_cache_requests_total{result="hit",tier="memory"} 2`) {
		t.Fatalf("memory hits not counted:\n%s", grep(text, "cache_requests"))
	}
}

// TestReloadInvalidatesCache: a reload with changed rules changes the
// ruleset digest, so the next identical submission is evaluated again.
func TestReloadInvalidatesCache(t *testing.T) {
	dir := rulesDir(t, "testdata/forms")
	cfg := testConfig()
	cfg.Rules = dir
	s := newTestServer(t, &cfg)
	body := miniSubmission(10, 12)
	first := s.postJSON("/v1/check", body).JSON(t)
	if first["verdict"] != "fail" || first["cached"] != false {
		t.Fatalf("first: %v", first)
	}
	if again := s.postJSON("/v1/check", body).JSON(t); again["cached"] != true {
		t.Fatalf("second is not cached")
	}
	// A reload of the same files keeps the cache.
	if r := s.do("POST", "/-/reload", "", nil); r.Status != 200 {
		t.Fatalf("reload: %d %s", r.Status, r.Body)
	}
	if again := s.postJSON("/v1/check", body).JSON(t); again["cached"] != true {
		t.Fatalf("a reload without changes dropped the cache")
	}
	// Relax the rule: the same submission now passes, and is not cached.
	path := filepath.Join(dir, "mini", "mini.yaml")
	b, _ := os.ReadFile(path)
	writeFile(t, path, strings.Replace(string(b), "expr: inspected <= schools", "expr: inspected <= schools * 2", 1))
	if r := s.do("POST", "/-/reload", "", nil); r.Status != 200 {
		t.Fatalf("reload: %d %s", r.Status, r.Body)
	}
	after := s.postJSON("/v1/check", body).JSON(t)
	if after["cached"] != false || after["verdict"] != "pass" || after["check_id"] == first["check_id"] || after["ruleset"] == first["ruleset"] {
		t.Fatalf("after a rule change: %v (before %v)", after, first)
	}
}

func grep(text, sub string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

var _ = http.StatusOK

// TestEntryBodyIsEncodingJSON: the result a cache entry holds (and an
// answer returns) is encoding/json's encoding of it, HTML escaping off,
// for the full submission and for one that breaks rules.
func TestEntryBodyIsEncodingJSON(t *testing.T) {
	s := newTestServer(t, nil)
	f, _ := s.Ruleset().Form(shippedForm)
	broken := fullSubmission(t)
	figures := broken["figures"].(map[string]any)
	for k := range figures {
		figures[k] = "xx <&> \u2028"
		break
	}
	figures["no_such_figure"] = 1.5
	for name, m := range map[string]map[string]any{"full": fullSubmission(t), "broken": broken} {
		sub, err := checker.DecodeSubmissionBytes(mustJSON(t, m))
		if err != nil {
			t.Fatal(err)
		}
		var c checker.Checker
		res := c.Check(f, sub)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			t.Fatal(err)
		}
		entry, st := encodeEntry(res)
		if got := string(st.body); got != strings.TrimSuffix(want.String(), "\n") {
			t.Fatalf("%s:\n got  %s\n want %s", name, got, want.String())
		}
		if back, err := decodeEntry(entry); err != nil || !bytes.Equal(back.body, st.body) {
			t.Fatalf("%s: the entry does not read back: %v", name, err)
		}
	}
}
