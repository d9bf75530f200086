package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/figcheck/figcheck/auth"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/decisionlog"
	"github.com/gin-gonic/gin"
)

const trailUnit = "示例区教育体育局"

// trailServer is a server with a tokens file holding one token per role,
// a decision log file and a dev receipt key, all in a temporary dir.
type trailServer struct {
	*testServer
	dir    string
	tokens map[string]string // role name → token
}

func newTrailServer(t *testing.T, edit func(*Config)) *trailServer {
	t.Helper()
	dir := t.TempDir()
	cfg := testConfig()
	cfg.Tokens = filepath.Join(dir, "tokens")
	cfg.DecisionLog.Path = filepath.Join(dir, "decisions.jsonl")
	cfg.Receipts.DevKeyFile = filepath.Join(dir, "receipt-dev.key")
	tokens := map[string]string{}
	for name, role := range map[string]auth.Role{
		"admin": {Kind: auth.KindAdmin}, "auditor": {Kind: auth.KindAuditor},
		"unit": {Kind: auth.KindUnit, Unit: trailUnit}, "other": {Kind: auth.KindUnit, Unit: "另一区"},
	} {
		tok, err := auth.AddToken(cfg.Tokens, name, role)
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = tok
	}
	if edit != nil {
		edit(&cfg)
	}
	return &trailServer{testServer: newTestServer(t, &cfg), dir: dir, tokens: tokens}
}

// as sends a request with the token of who ("" none, "bad" an unknown one).
func (s *trailServer) as(who, method, path string, body []byte) response {
	s.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch who {
	case "":
	case "bad":
		req.Header.Set("Authorization", "Bearer "+auth.NewToken())
	default:
		req.Header.Set("Authorization", "Bearer "+s.tokens[who])
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return response{rec.Code, rec.Result().Header, rec.Body.Bytes()}
}

func submission(t testing.TB, unit string, figures map[string]any) []byte {
	t.Helper()
	sub := fullSubmission(t)
	sub["unit"] = unit
	figs := sub["figures"].(map[string]any)
	for k, v := range figures {
		figs[k] = v
	}
	return mustJSON(t, sub)
}

// TestRoleTable sends every route as every role: allowed, 401 or 403.
func TestRoleTable(t *testing.T) {
	s := newTrailServer(t, nil)
	check := submission(t, trailUnit, nil)
	bodies := map[string][]byte{
		"POST /v1/check":           check,
		"POST /v1/check/batch":     []byte("[" + string(check) + "]"),
		"POST /v1/receipts/verify": []byte(`{"receipt":{},"submission":` + string(check) + `}`),
		"POST /v1/receipts/qr":     []byte(`{"receipt":{"kid":"k","sig":"s"}}`),
		"POST /v1/extract":         []byte(`{"form":"` + shippedForm + `","text":"金牌3枚"}`),
		"POST /v1/audit":           []byte(`{}`),
	}
	paths := map[string]string{
		"GET /v1/forms/:form": "/v1/forms/" + shippedForm, "GET /v1/forms/:form/rules": "/v1/forms/" + shippedForm + "/rules",
		"GET /v1/forms/:form/template.xlsx": "/v1/forms/" + shippedForm + "/template.xlsx",
		"GET /ui/*filepath":                 "/ui/console.css",
	}
	const (
		ok  = 0
		out = http.StatusUnauthorized
		no  = http.StatusForbidden
	)
	// who: none, bad token, unit, auditor, admin
	want := map[string][5]int{
		"GET /healthz":                      {ok, ok, ok, ok, ok},
		"GET /readyz":                       {ok, ok, ok, ok, ok},
		"GET /metrics":                      {ok, ok, ok, ok, ok},
		"GET /":                             {ok, ok, ok, ok, ok},
		"GET /audit":                        {ok, ok, ok, ok, ok},
		"GET /ui/*filepath":                 {ok, ok, ok, ok, ok},
		"POST /-/reload":                    {out, out, no, no, ok},
		"POST /v1/check":                    {out, out, ok, ok, ok},
		"POST /v1/check/batch":              {out, out, ok, ok, ok},
		"POST /v1/extract":                  {out, out, ok, ok, ok},
		"GET /v1/forms":                     {out, out, ok, ok, ok},
		"GET /v1/forms/:form":               {out, out, ok, ok, ok},
		"GET /v1/forms/:form/template.xlsx": {out, out, ok, ok, ok},
		"GET /v1/forms/:form/rules":         {out, out, ok, ok, ok},
		"POST /v1/receipts/verify":          {out, out, ok, ok, ok},
		"POST /v1/receipts/qr":              {out, out, ok, ok, ok},
		"GET /v1/decisions":                 {out, out, ok, ok, ok},
		"GET /v1/decisions/flagged":         {out, out, no, ok, ok},
		"POST /v1/audit":                    {out, out, no, ok, ok},
		"POST /v1/submissions":              {out, out, ok, ok, ok},
		"GET /v1/submissions":               {out, out, ok, ok, ok},
		"GET /v1/submissions/:id":           {out, out, ok, ok, ok},
	}
	for _, r := range s.engine.Routes() {
		key := r.Method + " " + r.Path
		expect, listed := want[key]
		if !listed {
			t.Errorf("route %s is not in this test's table (and needs admin unless listed in routeLevels)", key)
			continue
		}
		if _, inTable := routeLevels[key]; !inTable {
			t.Errorf("route %s is not in routeLevels", key)
		}
		path := r.Path
		if p, ok := paths[key]; ok {
			path = p
		}
		for i, who := range []string{"", "bad", "unit", "auditor", "admin"} {
			t.Run(key+"/"+who, func(t *testing.T) {
				res := s.as(who, r.Method, path, bodies[key])
				switch expect[i] {
				case ok:
					if res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden || res.Status >= 500 {
						t.Fatalf("status %d, want allowed; %s", res.Status, trunc(res.Body))
					}
				case out:
					assertError(t, res, http.StatusUnauthorized, CodeUnauthorized)
					if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
						t.Fatal("401 without WWW-Authenticate: Bearer")
					}
				case no:
					assertError(t, res, http.StatusForbidden, CodeForbidden)
				}
			})
		}
	}
	// An unknown path: 401 without a token, 404 with one.
	assertError(t, s.as("", "GET", "/v1/nothing", nil), http.StatusUnauthorized, CodeUnauthorized)
	assertError(t, s.as("unit", "GET", "/v1/nothing", nil), http.StatusNotFound, CodeNotFound)
	// A route that is not in routeLevels needs admin.
	s.engine.GET("/v1/unlisted", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	assertError(t, s.as("auditor", "GET", "/v1/unlisted", nil), http.StatusForbidden, CodeForbidden)
	if r := s.as("admin", "GET", "/v1/unlisted", nil); r.Status != http.StatusOK {
		t.Fatalf("admin on an unlisted route: %d", r.Status)
	}
	for _, tok := range s.tokens {
		if strings.Contains(s.log.String(), tok) {
			t.Fatal("a token is in the log")
		}
	}
}

func TestUnitRoleActsOnlyForItsUnit(t *testing.T) {
	s := newTrailServer(t, nil)
	assertError(t, s.as("unit", "POST", "/v1/check", submission(t, "另一区", nil)), http.StatusForbidden, CodeForbidden)
	if r := s.as("auditor", "POST", "/v1/check", submission(t, "另一区", nil)); r.Status != http.StatusOK {
		t.Fatalf("auditor check of any unit: %d", r.Status)
	}
	batch := "[" + string(submission(t, trailUnit, nil)) + "," + string(submission(t, "另一区", nil)) + "]"
	r := s.as("unit", "POST", "/v1/check/batch", []byte(batch))
	m := r.JSON(t)
	results := m["results"].([]any)
	if r.Status != http.StatusOK || results[0].(map[string]any)["verdict"] != "pass" ||
		results[1].(map[string]any)["error"].(map[string]any)["code"] != CodeForbidden {
		t.Fatalf("batch: %d %s", r.Status, trunc(r.Body))
	}
	assertError(t, s.as("unit", "GET", "/v1/decisions?unit=另一区", nil), http.StatusForbidden, CodeForbidden)
	// Without unit= a unit sees its own unit only.
	r = s.as("unit", "GET", "/v1/decisions", nil)
	var got struct{ Series []decisionlog.Series }
	if err := json.Unmarshal(r.Body, &got); err != nil || r.Status != http.StatusOK {
		t.Fatalf("%d %v", r.Status, err)
	}
	if len(got.Series) != 1 || got.Series[0].Unit != trailUnit {
		t.Fatalf("a unit sees %+v", got.Series)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	s := newTrailServer(t, func(c *Config) { c.RateLimit = RateLimitConfig{PerSecond: 0.001, Burst: 2} })
	for range 2 {
		if r := s.as("unit", "GET", "/v1/forms", nil); r.Status != http.StatusOK {
			t.Fatalf("within the burst: %d", r.Status)
		}
	}
	r := s.as("unit", "GET", "/v1/forms", nil)
	assertError(t, r, http.StatusTooManyRequests, CodeRateLimited)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	if r := s.as("auditor", "GET", "/v1/forms", nil); r.Status != http.StatusOK {
		t.Fatalf("another token is limited too: %d", r.Status)
	}
}

// TestFailChangePass: a failing check, the figures changed, a passing
// check: the history shows the difference and the flag.
func TestFailChangePass(t *testing.T) {
	s := newTrailServer(t, nil)
	failing := submission(t, trailUnit, map[string]any{"gold_medals": 11})
	passing := submission(t, trailUnit, map[string]any{"gold_medals": 3})
	for i, body := range [][]byte{failing, passing} {
		r := s.as("unit", "POST", "/v1/check", body)
		if want := []string{"fail", "pass"}[i]; r.Status != http.StatusOK || r.JSON(t)["verdict"] != want {
			t.Fatalf("check %d: %d %s", i, r.Status, trunc(r.Body))
		}
		time.Sleep(2 * time.Millisecond) // distinct times
	}
	r := s.as("unit", "GET", "/v1/decisions?form="+shippedForm+"&period=2025H1", nil)
	var got struct{ Series []decisionlog.Series }
	if err := json.Unmarshal(r.Body, &got); err != nil || r.Status != http.StatusOK || len(got.Series) != 1 {
		t.Fatalf("%d %v %s", r.Status, err, trunc(r.Body))
	}
	ser := got.Series[0]
	if len(ser.Attempts) != 2 || !ser.ChangedToPass {
		t.Fatalf("series %+v", ser)
	}
	first, second := ser.Attempts[0], ser.Attempts[1]
	if first.Verdict != "fail" || first.Actor != "unit" || first.Role != "unit:"+trailUnit || first.Source != "check" {
		t.Fatalf("first attempt %+v", first.Entry)
	}
	// 11 gold medals: more than the 10 events, and with the silver and
	// bronze more than three medals an event.
	if len(first.Violated) != 2 || first.Violated[0].Rule != "sport.gold_le_events" {
		t.Fatalf("violated %+v", first.Violated)
	}
	if fmt.Sprint(second.Changes) != "[gold_medals: 11 → 3]" || !second.ChangedToPass ||
		fmt.Sprint(second.FixedRules) != "[sport.gold_le_events sport.medals_le_3x_events]" {
		t.Fatalf("second attempt: changes %v flag %v fixed %v", second.Changes, second.ChangedToPass, second.FixedRules)
	}
	// The auditor's listing names the unit; a unit may not see it.
	r = s.as("auditor", "GET", "/v1/decisions/flagged?period=2025H1", nil)
	var flagged struct{ Units []flaggedUnit }
	if err := json.Unmarshal(r.Body, &flagged); err != nil || len(flagged.Units) != 1 || flagged.Units[0].Unit != trailUnit ||
		len(flagged.Units[0].Flags) != 1 || flagged.Units[0].Flags[0].CheckID != second.CheckID {
		t.Fatalf("flagged: %s", trunc(r.Body))
	}
	r = s.as("auditor", "GET", "/v1/decisions/flagged?period=2024H1", nil)
	if err := json.Unmarshal(r.Body, &flagged); err != nil || len(flagged.Units) != 0 {
		t.Fatalf("flagged in another period: %s", trunc(r.Body))
	}
}

// TestReceipts: a check's receipt verifies with its submission; any
// altered figure, tampered field or unknown key fails with its reason.
func TestReceipts(t *testing.T) {
	s := newTrailServer(t, nil)
	body := submission(t, trailUnit, nil)
	var first, second struct {
		Cached  bool            `json:"cached"`
		Receipt json.RawMessage `json:"receipt"`
	}
	for _, dst := range []any{&first, &second} {
		r := s.as("unit", "POST", "/v1/check", body)
		if err := json.Unmarshal(r.Body, dst); err != nil || r.Status != http.StatusOK {
			t.Fatalf("%d %v", r.Status, err)
		}
		time.Sleep(time.Millisecond)
	}
	if first.Cached || !second.Cached || bytes.Equal(first.Receipt, second.Receipt) {
		t.Fatalf("a cached answer must carry a fresh receipt: %s / %s", first.Receipt, second.Receipt)
	}
	verify := func(receiptJSON []byte, sub []byte) map[string]any {
		t.Helper()
		r := s.as("unit", "POST", "/v1/receipts/verify", []byte(`{"receipt":`+string(receiptJSON)+`,"submission":`+string(sub)+`}`))
		if r.Status != http.StatusOK {
			t.Fatalf("verify: %d %s", r.Status, trunc(r.Body))
		}
		return r.JSON(t)
	}
	edit := func(field string, v any) []byte {
		var m map[string]any
		_ = json.Unmarshal(first.Receipt, &m)
		m[field] = v
		return mustJSON(t, m)
	}
	// Reordered keys and the same figures as strings digest the same? No:
	// "12" and 12 are different submissions, so only key order is free.
	var reordered map[string]any
	_ = json.Unmarshal(body, &reordered)
	tests := []struct {
		name    string
		receipt []byte
		sub     []byte
		valid   bool
		reason  string
	}{
		{"valid", first.Receipt, body, true, ""},
		{"valid, cached answer", second.Receipt, body, true, ""},
		{"valid, keys reordered", first.Receipt, mustJSON(t, reordered), true, ""},
		{"altered figure", first.Receipt, submission(t, trailUnit, map[string]any{"gold_medals": 9}), false, "figures_differ"},
		{"other unit", first.Receipt, submission(t, "另一区", nil), false, "figures_differ"},
		{"tampered verdict", edit("verdict", "fail"), body, false, "bad_signature"},
		{"tampered unit", edit("unit", "另一区"), submission(t, "另一区", nil), false, "bad_signature"},
		{"tampered time", edit("time", "2020-01-01T00:00:00Z"), body, false, "bad_signature"},
		{"unknown key", edit("kid", "retired-2024"), body, false, "unknown_key"},
		{"malformed", []byte(`{"v":1}`), body, false, "malformed_receipt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := verify(tt.receipt, tt.sub)
			reason, _ := m["reason"].(string)
			if m["valid"] != tt.valid || reason != tt.reason {
				t.Fatalf("got %v", m)
			}
		})
	}
	assertError(t, s.as("unit", "POST", "/v1/receipts/verify", []byte(`{"receipt":{}}`)), http.StatusBadRequest, CodeInvalidRequest)
	assertError(t, s.as("unit", "POST", "/v1/receipts/verify", []byte(`{"receipt":{},"submission":{},"x":1}`)), http.StatusBadRequest, CodeMalformedJSON)
	assertError(t, s.as("unit", "POST", "/v1/receipts/verify", []byte(`{"receipt":{},"submission":{"unit":"a"}}`)), http.StatusBadRequest, CodeMissingForm)
	// The batch answers carry receipts too.
	r := s.as("unit", "POST", "/v1/check/batch", []byte("["+string(body)+"]"))
	if !strings.Contains(string(r.Body), `"receipt":{"v":1,`) {
		t.Fatalf("batch item without a receipt: %s", trunc(r.Body))
	}
}

func TestOpenModeNeedsLoopback(t *testing.T) {
	tests := []struct {
		addr     string
		tokens   string
		insecure bool
		ok       bool
	}{
		{"127.0.0.1:8080", "", false, true},
		{"localhost:8080", "", false, true},
		{"[::1]:8080", "", false, true},
		{":8080", "", false, false},
		{"0.0.0.0:8080", "", false, false},
		{"10.1.2.3:8080", "", false, false},
		{"0.0.0.0:8080", "", true, true},
		{"0.0.0.0:8080", "tokens", false, true},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		cfg.Addr, cfg.Tokens, cfg.Insecure = tt.addr, tt.tokens, tt.insecure
		if err := cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s tokens=%q insecure=%v: %v", tt.addr, tt.tokens, tt.insecure, err)
		}
	}
	// Open mode says so at start, and records who asked as anonymous.
	dir := t.TempDir()
	cfg := testConfig()
	cfg.DecisionLog.Path = filepath.Join(dir, "d.jsonl")
	cfg.Receipts.DevKeyFile = filepath.Join(dir, "k")
	s := newTestServer(t, &cfg)
	if !strings.Contains(s.log.String(), "no tokens file") || !strings.Contains(s.log.String(), "development key") {
		t.Fatalf("start log: %s", s.log.String())
	}
	if st, err := os.Stat(cfg.Receipts.DevKeyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("dev key file: %v", err)
	}
	if r := s.postJSON("/v1/check", submission(t, trailUnit, nil)); r.Status != http.StatusOK {
		t.Fatal(r.Status)
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, _, err := decisionlog.ReadFiles(cfg.DecisionLog.Path, decisionlog.Filter{})
	if err != nil || len(entries) != 1 || entries[0].Actor != "anonymous" || entries[0].Role != "open" {
		t.Fatalf("entries %+v %v", entries, err)
	}
}

func TestDecisionLogMetrics(t *testing.T) {
	s := newTrailServer(t, nil)
	s.as("unit", "POST", "/v1/check", submission(t, trailUnit, nil))
	if err := s.DecisionLog().Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	text := s.metricsText()
	for _, want := range []string{"figcheck_decision_log_written_total 1", `figcheck_decision_log_dropped_total{reason="queue_full"} 0`, "figcheck_decision_log_errors_total 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// checkLogger logs checks made outside checkOne (audit rows) with who
// asked and the source of the route.
func TestCheckLoggerForAuditRows(t *testing.T) {
	s := newTrailServer(t, nil)
	s.engine.POST("/v1/audit-test", func(c *gin.Context) {
		logRow := s.checkLogger(c)
		rs := s.Ruleset()
		f, _ := rs.Form(shippedForm)
		var wg sync.WaitGroup
		for _, gold := range []any{11.0, 3.0} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sub, err := checker.DecodeSubmissionBytes(submission(t, "审计单位", map[string]any{"gold_medals": gold}))
				if err != nil {
					t.Error(err)
					return
				}
				var ck checker.Checker
				logRow(f, sub, checker.SubmissionDigest(sub), ck.Check(f, sub))
			}()
		}
		wg.Wait()
		c.Status(http.StatusNoContent)
	})
	routeLevels["POST /v1/audit-test"] = auth.Auditor
	defer delete(routeLevels, "POST /v1/audit-test")
	if r := s.as("auditor", "POST", "/v1/audit-test", nil); r.Status != http.StatusNoContent {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if err := s.DecisionLog().Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, _, err := decisionlog.ReadFiles(filepath.Join(s.dir, "decisions.jsonl"), decisionlog.Filter{Unit: "审计单位"})
	if err != nil || len(entries) != 2 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	verdicts := map[string]bool{}
	for _, e := range entries {
		verdicts[e.Verdict] = true
		if e.Source != "audit" || e.Actor != "auditor" || e.Role != "auditor" || e.Submission == "" || e.Figures["gold_medals"] == nil {
			t.Fatalf("entry %+v", e)
		}
		if e.Verdict == "fail" && (len(e.Violated) != 2 || e.Violated[0].Rule != "sport.gold_le_events" || len(e.Violated[0].Fields) != 2) {
			t.Fatalf("violated %+v", e.Violated)
		}
	}
	if !verdicts["pass"] || !verdicts["fail"] {
		t.Fatalf("verdicts %v", verdicts)
	}
}

func TestDecisionLogSinks(t *testing.T) {
	for _, sink := range []string{"stdout", "off"} {
		t.Run(sink, func(t *testing.T) {
			s := newTrailServer(t, func(c *Config) { c.DecisionLog.Sink = sink })
			assertError(t, s.as("auditor", "GET", "/v1/decisions", nil), http.StatusServiceUnavailable, CodeDecisionLogUnavailable)
			if sink == "off" {
				if s.DecisionLog() != nil {
					t.Fatal("log off but DecisionLog() is not nil")
				}
				r := s.as("unit", "POST", "/v1/check", submission(t, trailUnit, nil))
				if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"receipt":{"v":1,`) {
					t.Fatalf("check with the log off: %d %s", r.Status, trunc(r.Body))
				}
			}
		})
	}
	cfg := DefaultConfig()
	for _, bad := range []func(*Config){
		func(c *Config) { c.DecisionLog.Sink = "kafka" },
		func(c *Config) { c.DecisionLog.Sink = "redis" }, // without a redis url
		func(c *Config) { c.DecisionLog.Fsync = "sometimes" },
		func(c *Config) { c.DecisionLog.Queue = -1 },
		func(c *Config) { c.Receipts.Keys = []ReceiptKeyConfig{{ID: "k"}} },
		func(c *Config) { c.RateLimit.PerSecond = -1 },
	} {
		c := cfg
		bad(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v validated", c.DecisionLog)
		}
	}
}

func TestConfiguredReceiptKeys(t *testing.T) {
	dir := t.TempDir()
	secretA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	secretB := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	if err := os.WriteFile(filepath.Join(dir, "a.key"), []byte(secretA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := newTrailServer(t, func(c *Config) {
		c.Receipts.Keys = []ReceiptKeyConfig{{ID: "2026a", SecretFile: filepath.Join(dir, "a.key")}}
	})
	rotated := newTrailServer(t, func(c *Config) {
		c.Receipts.Keys = []ReceiptKeyConfig{{ID: "2026b", Secret: secretB}, {ID: "2026a", SecretFile: filepath.Join(dir, "a.key")}}
	})
	if strings.Contains(old.log.String(), "development key") {
		t.Fatal("a dev key was used with keys configured")
	}
	body := submission(t, trailUnit, nil)
	var got struct{ Receipt json.RawMessage }
	_ = json.Unmarshal(old.as("unit", "POST", "/v1/check", body).Body, &got)
	if !strings.Contains(string(got.Receipt), `"kid":"2026a"`) {
		t.Fatalf("receipt %s", got.Receipt)
	}
	// The rotated server signs with 2026b and still verifies 2026a's receipts.
	r := rotated.as("unit", "POST", "/v1/receipts/verify", []byte(`{"receipt":`+string(got.Receipt)+`,"submission":`+string(body)+`}`))
	if m := r.JSON(t); m["valid"] != true || m["kid"] != "2026a" {
		t.Fatalf("verify on the rotated server: %v", m)
	}
	var again struct{ Receipt json.RawMessage }
	_ = json.Unmarshal(rotated.as("unit", "POST", "/v1/check", body).Body, &again)
	if !strings.Contains(string(again.Receipt), `"kid":"2026b"`) {
		t.Fatalf("rotated receipt %s", again.Receipt)
	}
	r = old.as("unit", "POST", "/v1/receipts/verify", []byte(`{"receipt":`+string(again.Receipt)+`,"submission":`+string(body)+`}`))
	if m := r.JSON(t); m["valid"] != false || m["reason"] != "unknown_key" {
		t.Fatalf("verify of a newer key on the old server: %v", m)
	}
}

// TestStateDirRefusedToTests: a test that gives the server no state
// directory of its own gets an error, never $HOME/.local/state/figcheck.
func TestStateDirRefusedToTests(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "")
	cfg := testConfig()
	if _, err := New(cfg, Options{}); !errors.Is(err, errTestStateDir) {
		t.Fatalf("New without a state dir in a test = %v, want errTestStateDir", err)
	}
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	if d, err := stateDir(); err != nil || d != filepath.Join(dir, "figcheck") {
		t.Fatalf("stateDir = %q, %v", d, err)
	}
}
