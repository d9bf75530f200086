// Package testredis gives tests a Redis server: the shared one when it
// answers, or a private redis-server started on a free loopback port.
//
// Environment:
//
//	FIGCHECK_TEST_REDIS      address of the Redis to use (overrides probing)
//	FIGCHECK_REQUIRE_REDIS=1 fail instead of skipping when no Redis is available
//
// Tests must never flush or reconfigure the shared Redis: use unique key
// prefixes (see Prefix). Tests that stop Redis use Start, which always runs
// a private server.
package testredis

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultAddr is the shared development Redis.
const DefaultAddr = "127.0.0.1:6379"

// unavailable skips t, or fails it when FIGCHECK_REQUIRE_REDIS=1.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("FIGCHECK_REQUIRE_REDIS") == "1" {
		t.Fatalf("redis required (FIGCHECK_REQUIRE_REDIS=1) but unavailable: %s", msg)
	}
	t.Skipf("skipping: no redis: %s (set FIGCHECK_TEST_REDIS or install redis-server)", msg)
}

// Addr returns the address of a Redis for t: FIGCHECK_TEST_REDIS if set,
// else 127.0.0.1:6379 if it answers PING, else a private redis-server
// started for t. Without any of these t is skipped (or failed when
// FIGCHECK_REQUIRE_REDIS=1).
func Addr(t testing.TB) string {
	t.Helper()
	if a := os.Getenv("FIGCHECK_TEST_REDIS"); a != "" {
		if err := Ping(a, 2*time.Second); err != nil {
			unavailable(t, "FIGCHECK_TEST_REDIS=%s: %v", a, err)
		}
		return a
	}
	if Ping(DefaultAddr, 500*time.Millisecond) == nil {
		return DefaultAddr
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(t, "%s does not answer and redis-server is not installed", DefaultAddr)
	}
	return Start(t).Addr()
}

// Prefix returns a key prefix unique to this test run and test, so tests
// can share a Redis without seeing each other's keys.
func Prefix(t testing.TB) string {
	name := strings.NewReplacer("/", ":", " ", "_").Replace(t.Name())
	return fmt.Sprintf("figcheck-test:%d:%d:%s:", os.Getpid(), time.Now().UnixNano(), name)
}

// Ping sends PING to addr using the RESP protocol and waits for +PONG.
func Ping(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply to PING: %q", strings.TrimSpace(line))
	}
	return nil
}

// Server is a private redis-server owned by one test.
type Server struct {
	t    testing.TB
	port int
	dir  string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start runs a private redis-server on a free loopback port (no
// persistence); it is stopped when t ends. Without redis-server t is
// skipped (or failed when FIGCHECK_REQUIRE_REDIS=1).
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(t, "redis-server is not installed")
	}
	s := &Server{t: t, dir: t.TempDir()}
	var err error
	for range 5 { // a free port can be taken between probing and binding
		if s.port, err = freePort(); err != nil {
			t.Fatalf("testredis: free port: %v", err)
		}
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("testredis: start redis-server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port; it stays the same across Restart.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's address as a redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() }

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("redis-server",
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--protected-mode", "no",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if Ping(s.Addr(), 200*time.Millisecond) == nil {
			s.cmd = cmd
			return nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, lastLines(string(log), 5))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server on port %d did not answer PING within 10s", s.port)
		}
	}
}

// Stop kills the server and waits until its port refuses connections. It
// is safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	// Wait is already being called by the goroutine in start; poll the port.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	s.cmd = nil
}

// Restart starts the server again on the same port (empty: nothing is
// persisted). It fails t when the server cannot be started.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	var err error
	for range 50 { // the old socket may linger briefly
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("testredis: restart on port %d: %v", s.port, err)
}

// Do sends one command to the server and returns the raw first reply line;
// handy for assertions such as DBSIZE without importing a client.
func (s *Server) Do(ctx context.Context, args ...string) (string, error) {
	return Do(ctx, s.Addr(), args...)
}

// Do sends one command to addr and returns the first reply line, trimmed.
func Do(ctx context.Context, addr string, args ...string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
