package e2e

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/figcheck/figcheck/api"
	"github.com/prometheus/client_golang/prometheus"
)

// chromium finds the browser, or skips (fails under FIGCHECK_REQUIRE_BROWSER).
func chromium(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("FIGCHECK_CHROMIUM"), "/usr/bin/chromium"}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	msg := "no Chromium found (/usr/bin/chromium or FIGCHECK_CHROMIUM): browser tests skipped; apt-get install chromium to run them"
	if os.Getenv("FIGCHECK_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// startServer runs figcheck with the shipped forms on a free loopback port
// and returns its base URL.
func startServer(t *testing.T) string {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Rules = filepath.Join("..", "configs", "forms")
	cfg.Addr = "127.0.0.1:0"
	// The decision log and the dev receipt key go to the test's own
	// directory, never the real state directory (api.New refuses that).
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	reg := prometheus.NewRegistry()
	s, err := api.New(cfg, api.Options{Registerer: reg, Gatherer: reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	if s.Ruleset() == nil {
		t.Fatal("the shipped forms did not load")
	}
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

// session is one browser tab under test with the screenshots of its steps.
type session struct {
	t     *testing.T
	ctx   context.Context
	shots []shot

	mu       sync.Mutex
	problems []string // script errors and failed loads the page logged
	allowed  []string // problems a test expects (see allow)
}

// allow makes a logged problem that contains text expected rather than a
// failure: a service answering an optional endpoint with an error status.
func (s *session) allow(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowed = append(s.allowed, text)
}

// watchConsole records the page's uncaught exceptions and logged errors
// (a failed request, a blocked resource); a test that sees any fails.
func (s *session) watchConsole() {
	for msg, err := range chromedp.Console(s.ctx) {
		if err != nil {
			return
		}
		if msg.Type == chromedp.ConsoleException || msg.Type == chromedp.ConsoleError {
			s.mu.Lock()
			s.problems = append(s.problems, string(msg.Type)+": "+msg.Text)
			s.mu.Unlock()
		}
	}
}

type shot struct {
	name string
	png  []byte
}

// stepTimeout bounds one step: a wait for something that never shows
// fails the test instead of hanging it.
const stepTimeout = 20 * time.Second

// Viewports the console must work at.
var (
	desktop = viewport{1280, 800, false}
	phone   = viewport{390, 844, true}
	// screens are both, named for subtests, with the button that checks.
	screens = []struct {
		name, button string
		vp           viewport
	}{{"desktop", "#check-btn", desktop}, {"phone", "#check-fab", phone}}
)

type viewport struct {
	w, h   int64
	mobile bool
}

// newSession starts a fresh headless Chromium (its own profile, no
// network but loopback in practice: no background services).
func newSession(t *testing.T, vp viewport) *session {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(vp.w), int(vp.h)),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	s := &session{t: t, ctx: ctx}
	t.Cleanup(func() {
		s.mu.Lock()
		for _, p := range s.problems {
			if !slices.ContainsFunc(s.allowed, func(a string) bool { return strings.Contains(p, a) }) {
				t.Errorf("the page logged %s", p)
			}
		}
		s.mu.Unlock()
		s.writeShots()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, emulateViewport(vp)); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	go s.watchConsole()
	return s
}

func emulateViewport(vp viewport) chromedp.Action[chromedp.Void] {
	if vp.mobile {
		return chromedp.EmulateViewport(vp.w, vp.h, chromedp.EmulateMobile, chromedp.EmulateScale(1))
	}
	return chromedp.EmulateViewport(vp.w, vp.h, chromedp.EmulateScale(1))
}

// step runs actions, then keeps a screenshot of the page; a failing step
// keeps one too and stops the test.
func (s *session) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	do(s, name, chromedp.Steps(actions...), true)
}

// run runs one action that reads a value; it keeps a screenshot only when
// the action fails (reads change nothing on the page).
func run[T any](s *session, name string, a chromedp.Action[T]) T {
	s.t.Helper()
	return do(s, name, a, false)
}

func do[T any](s *session, name string, a chromedp.Action[T], shotAfter bool) T {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if shotAfter || err != nil {
		sctx, scancel := context.WithTimeout(s.ctx, stepTimeout)
		defer scancel()
		if png, serr := chromedp.Run(sctx, chromedp.CaptureScreenshot()); serr == nil {
			s.shots = append(s.shots, shot{name, png})
		}
	}
	if err != nil {
		s.t.Fatalf("step %q: %v", name, err)
	}
	return v
}

// fullShot keeps a screenshot of the whole page under name.
func (s *session) fullShot(name string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		s.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	s.shots = append(s.shots, shot{name + "-full", png})
}

// writeShots writes the screenshots when the test failed, or always when
// FIGCHECK_E2E_SHOTS names a directory.
func (s *session) writeShots() {
	dir := os.Getenv("FIGCHECK_E2E_SHOTS")
	if dir == "" {
		if !s.t.Failed() {
			return
		}
		dir = filepath.Join(os.TempDir(), "figcheck-e2e-shots")
	}
	dir = filepath.Join(dir, strings.ReplaceAll(s.t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Logf("screenshots: %v", err)
		return
	}
	for i, sh := range s.shots {
		name := strings.Map(func(r rune) rune {
			if r > 127 || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				return r
			}
			return '_'
		}, sh.name)
		p := filepath.Join(dir, fmt.Sprintf("%02d-%s.png", i+1, name))
		if err := os.WriteFile(p, sh.png, 0o644); err != nil {
			s.t.Logf("screenshot %s: %v", p, err)
		}
	}
	s.t.Logf("screenshots of each step in %s", dir)
}

// filledFigures reads the figures of the filled report fixture.
func filledFigures(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "extract", "testdata", "filled_report.want"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if _, err := strconv.ParseFloat(fields[1], 64); err != nil {
			t.Fatalf("filled_report.want: %q", sc.Text())
		}
		out[fields[0]] = fields[1]
	}
	if len(out) < 90 {
		t.Fatalf("only %d figures in filled_report.want", len(out))
	}
	return out
}
