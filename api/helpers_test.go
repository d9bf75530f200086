package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/figcheck/figcheck/rules"
	"github.com/prometheus/client_golang/prometheus"
)

// shippedRules is the shipped forms directory, seen from api/.
const shippedRules = "../configs/forms"

// shippedForm is the id of the shipped form.
const shippedForm = "edu_sports_halfyear"

// testConfig is DefaultConfig with the shipped rules and the limits tests
// rely on.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Rules = shippedRules
	cfg.Addr = "127.0.0.1:0"
	return cfg
}

// testServer is a Server under test with its registry and log.
type testServer struct {
	*Server
	t   testing.TB
	reg *prometheus.Registry
	log *syncBuffer
}

// newTestServer builds a Server from cfg (testConfig when nil) and stops
// it when t ends. Its log is JSON into a buffer.
func newTestServer(t testing.TB, cfg *Config, opts ...func(*Options)) *testServer {
	t.Helper()
	c := testConfig()
	if cfg != nil {
		c = *cfg
	}
	// Keep the files the service writes by default out of $HOME.
	if c.DB == "" {
		c.DB = "sqlite:" + filepath.Join(t.TempDir(), "figcheck.db")
		if c.DecisionLog.Sink == "" {
			c.DecisionLog.Sink = "file" // the default of a server told no --db
		}
	}
	if c.DecisionLog.Path == "" {
		c.DecisionLog.Path = filepath.Join(t.TempDir(), "decisions.jsonl")
	}
	if c.Receipts.DevKeyFile == "" {
		c.Receipts.DevKeyFile = filepath.Join(t.TempDir(), "receipt-dev.key")
	}
	reg := prometheus.NewRegistry()
	buf := &syncBuffer{}
	o := Options{Registerer: reg, Gatherer: reg, Logger: slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	for _, f := range opts {
		f(&o)
	}
	s, err := New(c, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown(t.Context()) })
	return &testServer{Server: s, t: t, reg: reg, log: buf}
}

// startHTTP serves s on a free loopback port until the test ends and
// returns its base URL.
func startHTTP(t testing.TB, s *testServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// response is what a request got.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map; it fails the test when it is not JSON.
func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("status %d: body is not a JSON object: %v\n%s", r.Status, err, trunc(r.Body))
	}
	return m
}

// do sends a request through the server's handler.
func (s *testServer) do(method, path, contentType string, body []byte) response {
	s.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return response{rec.Code, rec.Result().Header, rec.Body.Bytes()}
}

func (s *testServer) postJSON(path string, body []byte) response {
	s.t.Helper()
	return s.do(http.MethodPost, path, "application/json", body)
}

func (s *testServer) get(path string) response {
	s.t.Helper()
	return s.do(http.MethodGet, path, "", nil)
}

// metrics returns the /metrics text.
func (s *testServer) metricsText() string {
	s.t.Helper()
	r := s.get("/metrics")
	if r.Status != http.StatusOK {
		s.t.Fatalf("/metrics: %d", r.Status)
	}
	return string(r.Body)
}

// assertError checks the one error shape, the status and the code.
func assertError(t testing.TB, r response, status int, code string) ErrorInfo {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, trunc(r.Body))
	}
	info := errorShape(t, r)
	if info.Code != code {
		t.Fatalf("error code %q, want %q; body %s", info.Code, code, trunc(r.Body))
	}
	return info
}

// errorShape checks r carries exactly {"error": {"code","message"[,"details"]}}.
func errorShape(t testing.TB, r response) ErrorInfo {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error content type %q", ct)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, trunc(r.Body))
	}
	if len(raw) != 1 || raw["error"] == nil {
		t.Fatalf("error body must have only the key \"error\": %s", trunc(r.Body))
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(raw["error"], &inner); err != nil {
		t.Fatalf("error is not an object: %s", trunc(r.Body))
	}
	for k := range inner {
		if k != "code" && k != "message" && k != "details" {
			t.Fatalf("unexpected key %q in error: %s", k, trunc(r.Body))
		}
	}
	var body ErrorBody
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body does not decode into ErrorBody: %v: %s", err, trunc(r.Body))
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("error without code or message: %s", trunc(r.Body))
	}
	return body.Error
}

// fullSubmission is testdata/full.json: every figure of the shipped form
// and the previous-period figures its rules read; it passes.
func fullSubmission(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/full.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rulesDir copies the forms below src into a temporary directory the test
// may rewrite.
func rulesDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// writeFile replaces a file atomically (write then rename), as editors and
// ConfigMap updates do, so a reader never sees half a file.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp~"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// miniSubmission is a submission of the mini test form.
func miniSubmission(schools, inspected int) []byte {
	b, _ := json.Marshal(map[string]any{
		"form": "mini", "unit": "测试单位", "period": "2025H1",
		"figures": map[string]any{"schools": schools, "inspected": inspected, "funds": 100},
	})
	return b
}

// loadMini loads the mini test form (for Options.Load).
func loadMini() (*rules.Ruleset, error) { return rules.LoadDir("testdata/forms") }

func trunc(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*syncBuffer)(nil)
