package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/figcheck/figcheck/api"
)

func TestServeSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "figcheck.yaml")
	if err := os.WriteFile(file, []byte("addr: 127.0.0.1:1111\nrules: /from/file\nredis: redis://file:6379\nwatch: true\ncache:\n  size: 7\n  ttl: 3m\nlimits:\n  batch_items: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	allEnv := map[string]string{"FIGCHECK_ADDR": "127.0.0.1:2222", "FIGCHECK_RULES": "/from/env", "FIGCHECK_REDIS_URL": "redis://env:6379"}
	def := api.DefaultConfig()
	for _, tc := range []struct {
		name               string
		args               []string
		env                map[string]string
		addr, rules, redis string
		watch              bool
	}{
		{"defaults", nil, nil, def.Addr, def.Rules, "", false},
		{"file", []string{"--config", file}, nil, "127.0.0.1:1111", "/from/file", "redis://file:6379", true},
		{"env over file", []string{"--config", file}, allEnv, "127.0.0.1:2222", "/from/env", "redis://env:6379", true},
		{"env over defaults", nil, allEnv, "127.0.0.1:2222", "/from/env", "redis://env:6379", false},
		{"one env var", []string{"--config", file}, map[string]string{"FIGCHECK_RULES": "/from/env"}, "127.0.0.1:1111", "/from/env", "redis://file:6379", true},
		{"flags over env and file", []string{"--config", file, "--addr", "127.0.0.1:3333", "--rules", "/from/flag", "--redis", "redis://flag:6379", "--watch=false"}, allEnv,
			"127.0.0.1:3333", "/from/flag", "redis://flag:6379", false},
		{"one flag", []string{"--redis", "redis://flag:6379"}, allEnv, "127.0.0.1:2222", "/from/env", "redis://flag:6379", false},
		{"empty flag clears", []string{"--config", file, "--redis", ""}, nil, "127.0.0.1:1111", "/from/file", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cfg, code, ok := serveSettings(tc.args, env(tc.env), &stderr)
			if !ok {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if cfg.Addr != tc.addr || cfg.Rules != tc.rules || cfg.RedisURL != tc.redis || cfg.Watch != tc.watch {
				t.Fatalf("got addr=%s rules=%s redis=%s watch=%v", cfg.Addr, cfg.Rules, cfg.RedisURL, cfg.Watch)
			}
		})
	}
	t.Run("db: flag over env over file", func(t *testing.T) {
		dbFile := filepath.Join(dir, "db.yaml")
		if err := os.WriteFile(dbFile, []byte("db: sqlite:/from/file.db\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			args []string
			env  map[string]string
			want string
		}{
			{[]string{"--config", dbFile}, nil, "sqlite:/from/file.db"},
			{[]string{"--config", dbFile}, map[string]string{"FIGCHECK_DB": "postgres://env/db"}, "postgres://env/db"},
			{[]string{"--config", dbFile, "--db", "sqlite:/flag.db"}, map[string]string{"FIGCHECK_DB": "postgres://env/db"}, "sqlite:/flag.db"},
		} {
			cfg, _, ok := serveSettings(tc.args, env(tc.env), io.Discard)
			if !ok || cfg.DB != tc.want {
				t.Errorf("%v %v: db %q, want %q", tc.args, tc.env, cfg.DB, tc.want)
			}
		}
	})
	t.Run("file keeps defaults it does not set", func(t *testing.T) {
		cfg, _, ok := serveSettings([]string{"--config", file}, env(nil), io.Discard)
		if !ok || cfg.Cache.Size != 7 || cfg.Cache.TTL != 3*time.Minute || cfg.Limits.BatchItems != 5 ||
			cfg.Limits.CheckBody != def.Limits.CheckBody || cfg.Timeouts.Shutdown != def.Timeouts.Shutdown {
			t.Fatalf("%+v", cfg)
		}
	})
	t.Run("shipped config file", func(t *testing.T) {
		if _, code, ok := serveSettings([]string{"--config", "../../configs/figcheck.yaml"}, env(nil), io.Discard); !ok {
			t.Fatalf("configs/figcheck.yaml does not load: exit %d", code)
		}
	})
}

func TestServeSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{"--config", write("unknown.yaml", "addr: 127.0.0.1:1\nredis_url: redis://x\n")}, "redis_url"},
		{"unknown nested key", []string{"--config", write("nested.yaml", "cache:\n  sise: 10\n")}, "sise"},
		{"wrong type", []string{"--config", write("type.yaml", "limits:\n  batch_items: many\n")}, "many"},
		{"bad duration", []string{"--config", write("dur.yaml", "cache:\n  ttl: forever\n")}, "forever"},
		{"invalid limit", []string{"--config", write("limit.yaml", "limits:\n  check_body: 0\n")}, "limits"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"unknown flag", []string{"--adress", "x"}, "adress"},
		{"extra argument", []string{"extra"}, "extra"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, code, ok := serveSettings(tc.args, func(string) string { return "" }, &stderr)
			if ok || code != exitBadArgs || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("ok=%v code=%d stderr=%q, want exit %d mentioning %q", ok, code, stderr.String(), exitBadArgs, tc.want)
			}
		})
	}
}

// figcheckBinary builds the figcheck binary into the test's temporary
// directory (the build cache makes the second build a link).
func figcheckBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the end-to-end test in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "figcheck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running figcheck serve.
type process struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs []map[string]any
	done chan error
}

func (p *process) logged(msg string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.logs {
		if l["msg"] == msg {
			return true
		}
	}
	return false
}

// startServe runs figcheck serve on a free port and waits for its
// "figcheck listening" log line.
func startServe(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(figcheckBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = "../.." // the repository root: configs/forms is the default
	// The server is no test binary: give it a state directory of its own
	// (decision log, dev key), never $HOME's.
	cmd.Env = append(os.Environ(), "FIGCHECK_ADDR=", "FIGCHECK_RULES=", "FIGCHECK_REDIS_URL=", "FIGCHECK_TOKENS=",
		"XDG_STATE_HOME="+t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("log line is not JSON: %q", sc.Text())
				continue
			}
			p.mu.Lock()
			p.logs = append(p.logs, m)
			p.mu.Unlock()
			if m["msg"] == "figcheck listening" {
				addr <- m["addr"].(string)
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	select {
	case a := <-addr:
		p.url = "http://" + a
	case err := <-p.done:
		t.Fatalf("figcheck serve exited before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("figcheck serve did not start within 30s")
	}
	return p
}

func (p *process) post(t *testing.T, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(p.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s: %d, body not JSON: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode, m
}

func (p *process) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(p.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestServeEndToEnd: the built binary answers a check with the shipped
// form, and SIGTERM makes it exit 0 within the shutdown grace.
func TestServeEndToEnd(t *testing.T) {
	p := startServe(t)
	status, m := p.post(t, "/v1/check", `{"form":"edu_sports_halfyear","unit":"示例","period":"2025H1","figures":{"gold_medals":9,"events_entered":4}}`)
	if status != 200 || m["verdict"] != "fail" || m["cached"] != false {
		t.Fatalf("check: %d %v", status, m)
	}
	if status, m := p.get(t, "/readyz"); status != 200 || m["redis"] != "disabled" {
		t.Fatalf("readyz: %d %v", status, m)
	}
	t0 := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	grace := api.DefaultConfig().Timeouts.Shutdown
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
		t.Logf("exited 0 %s after SIGTERM", time.Since(t0))
	case <-time.After(grace + 2*time.Second):
		t.Fatalf("still running %s after SIGTERM", grace+2*time.Second)
	}
	if !p.logged("shutting down") {
		t.Error("no shutting down log line")
	}
}

// TestServeSIGHUP: SIGHUP reloads the rules; a broken file keeps the old
// ruleset.
func TestServeSIGHUP(t *testing.T) {
	dir := t.TempDir()
	form := filepath.Join(dir, "mini.yaml")
	src, err := os.ReadFile("../../api/testdata/forms/mini/mini.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(form, src, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, "--rules", dir)
	_, before := p.get(t, "/readyz")
	check := `{"form":"mini","figures":{"schools":10,"inspected":12}}`
	if _, m := p.post(t, "/v1/check", check); m["verdict"] != "fail" {
		t.Fatalf("before: %v", m)
	}
	if err := os.WriteFile(form, []byte(strings.Replace(string(src), "inspected <= schools", "inspected <= schools + 5", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, now := p.get(t, "/readyz")
		if now["ruleset"] != before["ruleset"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, m := p.post(t, "/v1/check", check); m["verdict"] != "pass" {
		t.Fatalf("after SIGHUP: %v", m)
	}
	_, good := p.get(t, "/readyz")
	// A broken file: SIGHUP logs the failure and keeps serving.
	if err := os.WriteFile(form, []byte("form: mini\nindicators: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for !p.logged("reload on SIGHUP failed; keeping the previous ruleset") {
		if time.Now().After(deadline) {
			t.Fatal("no log of the failed reload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status, now := p.get(t, "/readyz"); status != 200 || now["ruleset"] != good["ruleset"] {
		t.Fatalf("after a broken SIGHUP reload: %d %v", status, now)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Fatalf("exit: %v", err)
	}
}
