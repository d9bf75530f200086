package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/figcheck/figcheck/rules"
	"github.com/gin-gonic/gin"
)

func TestEndpoints(t *testing.T) {
	s := newTestServer(t, nil)

	t.Run("healthz", func(t *testing.T) {
		r := s.get("/healthz")
		if r.Status != http.StatusOK || r.JSON(t)["status"] != "ok" {
			t.Fatalf("healthz: %d %s", r.Status, r.Body)
		}
	})
	t.Run("readyz", func(t *testing.T) {
		r := s.get("/readyz")
		m := r.JSON(t)
		if r.Status != http.StatusOK || m["status"] != "ready" || m["redis"] != "disabled" || m["store"] != "ok" || m["ruleset"] != s.Ruleset().Digest {
			t.Fatalf("readyz: %d %s", r.Status, r.Body)
		}
	})
	t.Run("check pass", func(t *testing.T) {
		r := s.postJSON("/v1/check", mustJSON(t, fullSubmission(t)))
		m := r.JSON(t)
		if r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if m["verdict"] != "pass" || m["cached"] != false || m["form"] != shippedForm || m["check_id"] == "" {
			t.Fatalf("unexpected result: %s", trunc(r.Body))
		}
		sum := m["summary"].(map[string]any)
		// The fixture gives every figure the shipped rules read: every
		// rule is evaluated, none skipped.
		if sum["rules"] != float64(79) || sum["evaluated"] != float64(79) || sum["skipped"] != float64(0) {
			t.Fatalf("summary %v", sum)
		}
	})
	t.Run("check fail", func(t *testing.T) {
		sub := fullSubmission(t)
		figs := sub["figures"].(map[string]any)
		figs["gold_medals"], figs["events_entered"] = 9, 4
		r := s.postJSON("/v1/check", mustJSON(t, sub))
		m := r.JSON(t)
		if r.Status != http.StatusOK || m["verdict"] != "fail" {
			t.Fatalf("want 200 fail, got %d %s", r.Status, trunc(r.Body))
		}
		var rulesHit []string
		for _, v := range m["violations"].([]any) {
			rulesHit = append(rulesHit, v.(map[string]any)["rule"].(string))
		}
		if len(rulesHit) == 0 {
			t.Fatalf("fail without violations: %s", trunc(r.Body))
		}
	})
	t.Run("check by Chinese names and strings", func(t *testing.T) {
		body := `{"form":"edu_sports_halfyear","unit":"某校","period":"2025H1","figures":{"金牌数":"9","参赛项目数":"4"}}`
		r := s.postJSON("/v1/check", []byte(body))
		if r.Status != http.StatusOK || r.JSON(t)["verdict"] != "fail" {
			t.Fatalf("got %d %s", r.Status, trunc(r.Body))
		}
	})
	t.Run("forms", func(t *testing.T) {
		r := s.get("/v1/forms")
		var out struct {
			Ruleset string        `json:"ruleset"`
			Forms   []formSummary `json:"forms"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != http.StatusOK {
			t.Fatalf("%d %v %s", r.Status, err, r.Body)
		}
		if len(out.Forms) != 1 || out.Forms[0].ID != shippedForm || out.Forms[0].Indicators != 97 || out.Forms[0].Rules != 79 {
			t.Fatalf("forms: %+v", out.Forms)
		}
	})
	t.Run("form", func(t *testing.T) {
		r := s.get("/v1/forms/" + shippedForm)
		var out struct {
			ID         string `json:"id"`
			Version    string `json:"version"`
			Indicators []struct {
				ID, Name, Unit, Type, Section string
				Min, Max                      *float64
			} `json:"indicators"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != http.StatusOK {
			t.Fatalf("%d %v %s", r.Status, err, trunc(r.Body))
		}
		if out.ID != shippedForm || out.Version == "" || len(out.Indicators) != 97 {
			t.Fatalf("form: id %q version %q %d indicators", out.ID, out.Version, len(out.Indicators))
		}
		var bounded int
		for _, ind := range out.Indicators {
			if ind.ID == "" || ind.Name == "" || ind.Type == "" || ind.Section == "" {
				t.Fatalf("indicator without id, name, type or section: %+v", ind)
			}
			if ind.Min != nil || ind.Max != nil {
				bounded++
			}
		}
		if bounded == 0 {
			t.Fatalf("no indicator has bounds")
		}
	})
	t.Run("rules", func(t *testing.T) {
		r := s.get("/v1/forms/" + shippedForm + "/rules")
		var out struct {
			Form  string     `json:"form"`
			Rules []ruleInfo `json:"rules"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != http.StatusOK {
			t.Fatalf("%d %v %s", r.Status, err, trunc(r.Body))
		}
		if out.Form != shippedForm || len(out.Rules) != 79 {
			t.Fatalf("rules: form %q, %d rules", out.Form, len(out.Rules))
		}
		for _, ru := range out.Rules {
			if ru.ID == "" || ru.Name == "" || ru.Expr == "" || ru.Message == "" || ru.Severity == 0 || len(ru.Fields)+len(ru.Previous) == 0 {
				t.Fatalf("incomplete rule: %+v", ru)
			}
		}
	})
	t.Run("metrics", func(t *testing.T) {
		text := s.metricsText()
		for _, want := range []string{
			`figcheck_ruleset_info{digest="`, "figcheck_ruleset_last_reload_success 1",
			"figcheck_ruleset_last_reload_timestamp_seconds", `figcheck_checks_total{form="edu_sports_halfyear",verdict="pass"}`,
			"figcheck_check_duration_seconds_bucket", `figcheck_http_requests_total{code="200",method="POST",route="/v1/check"}`,
			`figcheck_http_request_duration_seconds_bucket{route="/v1/check"`, `figcheck_cache_requests_total{result="miss",tier="memory"}`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
	t.Run("reload", func(t *testing.T) {
		r := s.do(http.MethodPost, "/-/reload", "", nil)
		m := r.JSON(t)
		if r.Status != http.StatusOK || m["status"] != "reloaded" || m["ruleset"] != s.Ruleset().Digest {
			t.Fatalf("reload: %d %s", r.Status, r.Body)
		}
	})
}

// TestErrors drives every error path and checks the one error shape.
func TestErrors(t *testing.T) {
	cfg := testConfig()
	cfg.Limits = LimitsConfig{CheckBody: 4096, BatchBody: 8192, BatchItems: 3}
	s := newTestServer(t, &cfg)
	mini := `{"form":"edu_sports_halfyear","figures":{}}`
	big := `{"form":"edu_sports_halfyear","unit":"` + strings.Repeat("x", 5000) + `","figures":{}}`
	batch := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat(mini+",", n), ",") + "]" }

	for _, tc := range []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
	}{
		{"malformed json", "POST", "/v1/check", "application/json", `{"form":`, 400, CodeMalformedJSON},
		{"syntax error", "POST", "/v1/check", "application/json", `{"form" "x"}`, 400, CodeMalformedJSON},
		{"empty body", "POST", "/v1/check", "application/json", ``, 400, CodeMalformedJSON},
		{"missing form", "POST", "/v1/check", "application/json", `{"figures":{"gold_medals":1}}`, 400, CodeMissingForm},
		{"empty form", "POST", "/v1/check", "application/json", `{"form":"","figures":{}}`, 400, CodeMissingForm},
		{"unknown top-level key", "POST", "/v1/check", "application/json", `{"form":"x","figurez":{}}`, 400, CodeMalformedJSON},
		{"trailing data", "POST", "/v1/check", "application/json", mini + `{}`, 400, CodeMalformedJSON},
		{"unknown form", "POST", "/v1/check", "application/json", `{"form":"nope","figures":{}}`, 404, CodeUnknownForm},
		{"unknown form GET", "GET", "/v1/forms/nope", "", ``, 404, CodeUnknownForm},
		{"unknown form rules", "GET", "/v1/forms/nope/rules", "", ``, 404, CodeUnknownForm},
		{"unknown route", "GET", "/v2/check", "", ``, 404, CodeNotFound},
		{"unknown route POST", "POST", "/v1/checks", "application/json", mini, 404, CodeNotFound},
		{"GET check", "GET", "/v1/check", "", ``, 405, CodeMethodNotAllowed},
		{"DELETE forms", "DELETE", "/v1/forms", "", ``, 405, CodeMethodNotAllowed},
		{"GET reload", "GET", "/-/reload", "", ``, 405, CodeMethodNotAllowed},
		{"PUT batch", "PUT", "/v1/check/batch", "application/json", `[]`, 405, CodeMethodNotAllowed},
		{"too large", "POST", "/v1/check", "application/json", big, 413, CodeTooLarge},
		{"batch too large", "POST", "/v1/check/batch", "application/json", "[" + big + "," + big + "]", 413, CodeTooLarge},
		{"batch too many", "POST", "/v1/check/batch", "application/json", batch(4), 413, CodeTooManyItems},
		{"batch not an array", "POST", "/v1/check/batch", "application/json", mini, 400, CodeMalformedJSON},
		{"batch malformed", "POST", "/v1/check/batch", "application/json", `[{`, 400, CodeMalformedJSON},
		{"text/plain", "POST", "/v1/check", "text/plain", mini, 415, CodeUnsupportedType},
		{"no content type", "POST", "/v1/check", "", mini, 415, CodeUnsupportedType},
		{"form content type", "POST", "/v1/check", "application/x-www-form-urlencoded", mini, 415, CodeUnsupportedType},
		{"bad content type", "POST", "/v1/check", "application/", mini, 415, CodeUnsupportedType},
		{"batch text/plain", "POST", "/v1/check/batch", "text/plain", "[]", 415, CodeUnsupportedType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertError(t, s.do(tc.method, tc.path, tc.ctype, []byte(tc.body)), tc.status, tc.code)
		})
	}

	t.Run("accepted content types", func(t *testing.T) {
		for _, ct := range []string{"application/json; charset=utf-8", "application/merge-patch+json", "Application/JSON"} {
			if r := s.do("POST", "/v1/check", ct, []byte(mini)); r.Status != http.StatusOK {
				t.Errorf("%s: %d %s", ct, r.Status, trunc(r.Body))
			}
		}
	})
	t.Run("batch at the item limit", func(t *testing.T) {
		if r := s.postJSON("/v1/check/batch", []byte(batch(3))); r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, trunc(r.Body))
		}
	})
	t.Run("refusals are counted by code", func(t *testing.T) {
		text := s.metricsText()
		for _, code := range []string{CodeMalformedJSON, CodeMissingForm, CodeUnknownForm, CodeNotFound, CodeMethodNotAllowed,
			CodeTooLarge, CodeTooManyItems, CodeUnsupportedType} {
			if metricValue(text, `figcheck_invalid_requests_total{code="`+code+`"}`) < 1 {
				t.Errorf("no figcheck_invalid_requests_total for %s:\n%s", code, grep(text, "invalid_requests"))
			}
		}
	})
	t.Run("unknown form lists the forms", func(t *testing.T) {
		info := assertError(t, s.postJSON("/v1/check", []byte(`{"form":"nope"}`)), 404, CodeUnknownForm)
		if !strings.Contains(fmt.Sprint(info.Details), shippedForm) {
			t.Fatalf("details %v do not name the forms", info.Details)
		}
	})
}

// TestNoRuleset: a server whose rules do not load starts, is not ready, and
// answers 503 until a reload succeeds.
func TestNoRuleset(t *testing.T) {
	fail := true
	s := newTestServer(t, nil, func(o *Options) {
		o.Load = func() (*rules.Ruleset, error) {
			if fail {
				return nil, errors.New("boom")
			}
			return loadMini()
		}
	})
	if s.Ruleset() != nil {
		t.Fatal("a ruleset is loaded")
	}
	assertError(t, s.get("/readyz"), 503, CodeNoRuleset)
	assertError(t, s.postJSON("/v1/check", miniSubmission(3, 2)), 503, CodeNoRuleset)
	assertError(t, s.postJSON("/v1/check/batch", []byte("["+string(miniSubmission(3, 2))+"]")), 503, CodeNoRuleset)
	assertError(t, s.get("/v1/forms"), 503, CodeNoRuleset)
	assertError(t, s.get("/v1/forms/mini"), 503, CodeNoRuleset)
	assertError(t, s.get("/v1/forms/mini/rules"), 503, CodeNoRuleset)
	if r := s.get("/healthz"); r.Status != 200 {
		t.Fatalf("healthz %d: a process without rules is alive", r.Status)
	}
	if !strings.Contains(s.metricsText(), "figcheck_ruleset_last_reload_success 0") {
		t.Fatal("reload success gauge is not 0")
	}
	assertError(t, s.do("POST", "/-/reload", "", nil), 422, CodeReloadFailed)

	fail = false
	if r := s.do("POST", "/-/reload", "", nil); r.Status != 200 {
		t.Fatalf("reload: %d %s", r.Status, r.Body)
	}
	if r := s.get("/readyz"); r.Status != 200 {
		t.Fatalf("readyz after a good reload: %d %s", r.Status, r.Body)
	}
	if r := s.postJSON("/v1/check", miniSubmission(3, 2)); r.Status != 200 || r.JSON(t)["verdict"] != "pass" {
		t.Fatalf("check after a good reload: %d %s", r.Status, r.Body)
	}
}

// TestRecovery: a panic in a handler is a 500 in the error shape, and the
// server keeps serving.
func TestRecovery(t *testing.T) {
	s := newTestServer(t, nil)
	s.engine.GET("/test-panic", func(c *gin.Context) { panic("boom") })
	r := s.get("/test-panic")
	assertError(t, r, 500, CodeInternal)
	if r.Header.Get(requestIDHeader) == "" {
		t.Fatal("no request id on a recovered request")
	}
	if r := s.get("/healthz"); r.Status != 200 {
		t.Fatalf("after a panic: %d", r.Status)
	}
}

func TestRequestID(t *testing.T) {
	s := newTestServer(t, nil)
	seen := map[string]bool{}
	for range 3 {
		id := s.get("/healthz").Header.Get(requestIDHeader)
		if len(id) < 8 || seen[id] {
			t.Fatalf("request id %q (missing or repeated)", id)
		}
		seen[id] = true
	}
	for _, tc := range []struct{ in, want string }{
		{"abc-123_X.y", "abc-123_X.y"},
		{"has space", ""},
		{"<script>", ""},
		{strings.Repeat("a", 65), ""},
	} {
		req, _ := http.NewRequest("GET", "/healthz", nil)
		req.Header.Set(requestIDHeader, tc.in)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		got := rec.Header().Get(requestIDHeader)
		if tc.want != "" && got != tc.want {
			t.Errorf("client id %q: got %q", tc.in, got)
		}
		if tc.want == "" && (got == tc.in || got == "") {
			t.Errorf("invalid client id %q was kept or dropped: %q", tc.in, got)
		}
	}
}

// TestLogs: one JSON line per request with its id, and no figure, unit
// name or explanation of a submission.
func TestLogs(t *testing.T) {
	s := newTestServer(t, nil)
	sub := fullSubmission(t)
	sub["unit"] = "秘密单位UNITNAME"
	sub["figures"].(map[string]any)["gold_medals"] = 97531864
	sub["explanations"] = map[string]string{"sport.gold_le_events": "EXPLAINTEXT"}
	req, _ := http.NewRequest("POST", "/v1/check", bytes.NewReader(mustJSON(t, sub)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(requestIDHeader, "req-log-test-1")
	req.Header.Set("Authorization", "Bearer TOKENVALUE")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	s.postJSON("/v1/check", []byte(`{"form":"nope","unit":"秘密单位UNITNAME"}`))
	s.postJSON("/v1/check", []byte(`{"form":"edu_sports_halfyear","figures":{"gold_medals":97531864,`))

	logs := s.log.String()
	var requests int
	for line := range strings.Lines(logs) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == "request" {
			requests++
			if m["request_id"] == "" || m["route"] == nil || m["status"] == nil {
				t.Fatalf("request line lacks id, route or status: %s", line)
			}
		}
	}
	if requests != 3 {
		t.Fatalf("%d request lines for 3 requests:\n%s", requests, logs)
	}
	if !strings.Contains(logs, `"request_id":"req-log-test-1"`) {
		t.Fatalf("the client's request id is not logged:\n%s", logs)
	}
	for _, secret := range []string{"97531864", "UNITNAME", "EXPLAINTEXT", "TOKENVALUE", "62.5"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

// issueRoutes are the service's core endpoints, documented in docs/api.md.
var issueRoutes = []string{"GET /healthz", "GET /readyz", "GET /metrics", "POST /-/reload", "POST /v1/check",
	"POST /v1/check/batch", "GET /v1/forms", "GET /v1/forms/{form}", "GET /v1/forms/{form}/rules"}

func TestAPIDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatalf("docs/api.md: %v", err)
	}
	doc := string(b)
	s := newTestServer(t, nil)
	registered := map[string]bool{}
	for _, r := range s.engine.Routes() {
		registered[r.Method+" "+strings.ReplaceAll(r.Path, ":form", "{form}")] = true
	}
	for _, r := range issueRoutes {
		if !registered[r] {
			t.Errorf("%s is not a route", r)
		}
		if !strings.Contains(doc, "## "+r) && !strings.Contains(doc, "### "+r) {
			t.Errorf("docs/api.md has no section for %s", r)
		}
	}
	for _, code := range errorCodes {
		if !strings.Contains(doc, "`"+code+"`") {
			t.Errorf("docs/api.md does not document the error code %s", code)
		}
	}
}

// errorCodes are the codes of errors.go.
var errorCodes = []string{CodeMalformedJSON, CodeInvalidRequest, CodeMissingForm, CodeUnknownForm, CodeNotFound,
	CodeMethodNotAllowed, CodeTooLarge, CodeTooManyItems, CodeUnsupportedType, CodeNoRuleset, CodeReloadFailed, CodeInternal}

// TestServeShutdown: Shutdown right after Serve starts (or before) stops
// it without a race, and Serve returns nil.
func TestServeShutdown(t *testing.T) {
	for _, before := range []bool{false, true} {
		s := newTestServer(t, nil)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		if before {
			if err := s.Shutdown(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		go func() { done <- s.Serve(ln) }()
		if !before {
			if err := s.Shutdown(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Serve did not return after Shutdown (shutdown first: %v)", before)
		}
		ln.Close()
	}
}
