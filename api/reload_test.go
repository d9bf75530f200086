package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/figcheck/figcheck/rules"
)

// brokenMini breaks the mini form in three places: an unknown name in an
// expression, an unknown severity, and an expression that does not parse.
const brokenMini = `form: mini
title: 服务测试表
indicators:
  - {id: schools, name: 学校数, unit: 所, type: integer, required: true, min: 0}
  - {id: inspected, name: 检查学校数, unit: 所, type: integer, required: true, min: 0}
rules:
  - id: mini.inspected_le_schools
    name: 检查学校数不超过学校数
    severity: error
    expr: inspected <= no_such_figure
    message: 错
  - id: mini.other
    name: 另一条
    severity: fatal
    expr: schools >= 0
    message: 错
  - id: mini.third
    name: 第三条
    severity: info
    expr: schools >
    message: 错
`

// TestReloadUnderLoad: while many goroutines post checks, a broken form
// file is reloaded (422 with every problem as file:line:col, the old
// ruleset keeps serving), then a good one (swapped while requests are in
// flight). No request fails. Run with -race.
func TestReloadUnderLoad(t *testing.T) {
	s, path, good := miniServer(t)
	srv := startHTTP(t, s)
	oldDigest := s.Ruleset().Digest

	ctx, stop := context.WithCancel(t.Context())
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	var verdicts sync.Map
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				// Mostly unique submissions (evaluated), some repeated (cached).
				body := miniSubmission(10+(w*1000+i)%50, 12)
				resp, err := http.Post(srv+"/v1/check", "application/json", strings.NewReader(string(body)))
				sent.Add(1)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				var m map[string]any
				err = json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if resp.StatusCode != 200 || err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %v %v", resp.StatusCode, err, m))
					continue
				}
				verdicts.Store(m["ruleset"], true)
			}
		}()
	}
	waitSent := func(n int64) {
		t.Helper()
		target := sent.Load() + n
		eventually(t, 30*time.Second, func() error {
			if sent.Load() < target {
				return fmt.Errorf("%d requests sent", sent.Load())
			}
			return nil
		})
	}
	waitSent(100)

	writeFile(t, path, brokenMini)
	r := s.do("POST", "/-/reload", "", nil)
	info := assertError(t, r, http.StatusUnprocessableEntity, CodeReloadFailed)
	if len(info.Details) < 3 {
		t.Fatalf("want every problem, got %d: %v", len(info.Details), info.Details)
	}
	for _, d := range info.Details {
		msg, _ := d.(string)
		// file:line:col: message
		parts := strings.SplitN(msg, ":", 4)
		if len(parts) < 4 || !strings.HasSuffix(parts[0], "mini.yaml") || parts[1] == "" || parts[2] == "" {
			t.Errorf("problem %q is not file:line:col: message", msg)
		}
	}
	if s.Ruleset().Digest != oldDigest {
		t.Fatal("a failed reload replaced the ruleset")
	}
	if !strings.Contains(s.metricsText(), "figcheck_ruleset_last_reload_success 0") {
		t.Fatal("reload failure not in the metrics")
	}
	waitSent(100)

	writeFile(t, path, strings.Replace(string(good), "inspected <= schools", "inspected <= schools + 5", 1))
	for range 3 { // several swaps while requests are in flight
		if r := s.do("POST", "/-/reload", "", nil); r.Status != 200 {
			t.Fatalf("good reload: %d %s", r.Status, r.Body)
		}
		waitSent(50)
	}
	newDigest := s.Ruleset().Digest
	if newDigest == oldDigest {
		t.Fatal("the good reload did not swap")
	}
	stop()
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed during reloads; first: %v", n, sent.Load(), firstErr.Load())
	}
	t.Logf("%d requests, none failed", sent.Load())
	if !strings.Contains(s.metricsText(), "figcheck_ruleset_last_reload_success 1") {
		t.Fatal("reload success not in the metrics")
	}
}

// TestConcurrentReloads: reloads never overlap (the loader is never
// running twice at once) and all succeed.
func TestConcurrentReloads(t *testing.T) {
	var running, overlaps atomic.Int32
	s := newTestServer(t, nil, func(o *Options) {
		o.Load = func() (*rules.Ruleset, error) {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			defer running.Add(-1)
			time.Sleep(2 * time.Millisecond)
			return loadMini()
		}
	})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := s.do("POST", "/-/reload", "", nil); r.Status != 200 {
				t.Errorf("reload %d", r.Status)
			}
		}()
	}
	wg.Wait()
	if overlaps.Load() > 0 {
		t.Fatalf("%d reloads overlapped", overlaps.Load())
	}
}

// TestWatch: Server.Watch reloads when a form file changes, and keeps the
// old ruleset when the new file is broken.
func TestWatch(t *testing.T) {
	s, path, good := miniServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()
	before := s.Ruleset().Digest
	// The watcher may not have added its watches yet: write again when a
	// write goes unnoticed for a while (each write restarts its debounce).
	changed := strings.Replace(string(good), "inspected <= schools", "inspected <= schools + 1", 1)
	var lastWrite time.Time
	eventually(t, 15*time.Second, func() error {
		if s.Ruleset().Digest == before {
			if time.Since(lastWrite) > 2*time.Second {
				writeFile(t, path, changed)
				lastWrite = time.Now()
			}
			return fmt.Errorf("not reloaded")
		}
		return nil
	})
	if r := s.postJSON("/v1/check", miniSubmission(10, 11)).JSON(t); r["verdict"] != "pass" {
		t.Fatalf("the watched change is not served: %v", r["verdict"])
	}
	// A broken file: the watcher's reload fails and the ruleset stays.
	after := s.Ruleset().Digest
	writeFile(t, path, brokenMini)
	eventually(t, 10*time.Second, func() error {
		if !strings.Contains(s.metricsText(), "figcheck_ruleset_last_reload_success 0") {
			return fmt.Errorf("no failed reload yet")
		}
		return nil
	})
	if s.Ruleset().Digest != after {
		t.Fatal("a broken file replaced the ruleset")
	}
	writeFile(t, path, string(good))
	eventually(t, 10*time.Second, func() error {
		if s.Ruleset().Digest == after {
			return fmt.Errorf("not reloaded after the fix")
		}
		return nil
	})
	// A file in a directory created after the watch started is seen too.
	dir := filepath.Dir(filepath.Dir(path)) // the rules directory
	if err := os.MkdirAll(filepath.Join(dir, "more"), 0o755); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the watcher add the directory
	extra := "form: extra\ntitle: 另一表\nindicators:\n  - {id: a, name: 甲, type: integer}\nrules: []\n"
	writeFile(t, filepath.Join(dir, "more", "extra.yaml"), extra)
	eventually(t, 10*time.Second, func() error {
		if _, ok := s.Ruleset().Form("extra"); !ok {
			return fmt.Errorf("the form in the new directory is not served")
		}
		return nil
	})
}

// TestMetricsRemovedRule: the series of a rule that a reload removes are
// deleted; those of the remaining rules stay.
func TestMetricsRemovedRule(t *testing.T) {
	s, path, good := miniServer(t)
	// Violate both rules.
	body := []byte(`{"form":"mini","unit":"u","figures":{"schools":2,"inspected":3,"funds":1000}}`)
	if r := s.postJSON("/v1/check", body); r.Status != 200 {
		t.Fatal(r.Status)
	}
	text := s.metricsText()
	for _, rule := range []string{"mini.inspected_le_schools", "mini.funds_per_school"} {
		if !strings.Contains(text, `rule="`+rule+`"`) {
			t.Fatalf("no series for %s:\n%s", rule, grep(text, "violations"))
		}
	}
	// Remove the second rule.
	cut := strings.Index(string(good), "  - id: mini.funds_per_school")
	writeFile(t, path, string(good)[:cut])
	if r := s.do("POST", "/-/reload", "", nil); r.Status != 200 {
		t.Fatalf("reload: %d %s", r.Status, r.Body)
	}
	text = s.metricsText()
	if strings.Contains(text, `rule="mini.funds_per_school"`) {
		t.Fatalf("series of the removed rule remain:\n%s", grep(text, "mini.funds_per_school"))
	}
	if !strings.Contains(text, `rule="mini.inspected_le_schools"`) {
		t.Fatal("series of a kept rule were deleted")
	}
	if n := strings.Count(grep(text, "figcheck_ruleset_info{"), "\n"); n != 1 {
		t.Fatalf("%d ruleset_info series, want 1:\n%s", n, grep(text, "ruleset_info"))
	}
}

// TestMetricsNoClientInput: nothing a client sends becomes a label value.
func TestMetricsNoClientInput(t *testing.T) {
	s := newTestServer(t, nil)
	const weird = "WeirdUnit_Zq9"
	sub := fullSubmission(t)
	sub["unit"] = weird + `"} 1\n# evil`
	sub["period"] = weird + "P"
	sub["figures"].(map[string]any)[weird+"F"] = 1
	sub["explanations"] = map[string]string{weird + "R": weird + "E"}
	s.postJSON("/v1/check", mustJSON(t, sub))
	s.postJSON("/v1/check/batch", mustJSON(t, []any{sub, map[string]any{"form": weird + "Form"}}))
	s.postJSON("/v1/check", []byte(`{"form":"`+weird+`Form"}`))
	s.get("/v1/forms/" + weird + "Path")
	s.get("/" + weird + "Route")
	s.do("POST", "/v1/check", weird+"/type", nil)
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set(requestIDHeader, weird+"ID")
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	text := s.metricsText()
	if strings.Contains(text, weird) {
		t.Fatalf("client input in /metrics:\n%s", grep(text, weird))
	}
	if !strings.Contains(text, `route="unmatched"`) {
		t.Fatalf("unmatched routes are not folded into one label")
	}
}

// miniServer serves a private copy of testdata/forms; it returns the path
// of the mini form's file, which the test may rewrite, and its content.
func miniServer(t *testing.T) (*testServer, string, []byte) {
	t.Helper()
	dir := rulesDir(t, "testdata/forms")
	path := filepath.Join(dir, "mini", "mini.yaml")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Rules = dir
	return newTestServer(t, &cfg), path, good
}
