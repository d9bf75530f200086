// Package testpg gives tests a PostgreSQL database of their own: a
// randomly named database on the shared server, dropped when the test
// ends, or a private server (initdb + pg_ctl in a temporary directory on
// a free port) for tests that stop and start it.
//
// Environment:
//
//	FIGCHECK_TEST_POSTGRES      base URL of the server (default postgres://postgres@127.0.0.1:5432/postgres)
//	FIGCHECK_REQUIRE_POSTGRES=1 fail instead of skipping when no PostgreSQL answers (also CI=true)
//
// Tests never stop or reconfigure the shared server: Private is for that.
package testpg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the shared development server.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func required() bool {
	return os.Getenv("FIGCHECK_REQUIRE_POSTGRES") == "1" || os.Getenv("CI") == "true"
}

// unavailable skips t, or fails it when PostgreSQL is required.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if required() {
		t.Fatalf("postgres required (FIGCHECK_REQUIRE_POSTGRES=1 or CI=true) but unavailable: %s", msg)
	}
	t.Skipf("skipping: no postgres: %s (set FIGCHECK_TEST_POSTGRES or start PostgreSQL)", msg)
}

func baseURL() string {
	if u := os.Getenv("FIGCHECK_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultURL
}

// DB creates a database with a random name on the shared server and
// returns its URL; the database is dropped when t ends.
func DB(t testing.TB) string {
	t.Helper()
	return createDB(t, baseURL())
}

func createDB(t testing.TB, base string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		unavailable(t, "%s: %v", redact(base), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "figcheck_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		t.Fatalf("create database: %v", err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("dropping %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(bad url)"
	}
	return u.Redacted()
}

// Server is a private PostgreSQL started for one test.
type Server struct {
	t       testing.TB
	dir     string
	port    int
	bin     string
	asUser  string // run pg_ctl as this user (initdb refuses root)
	baseURL string
}

// Private starts a PostgreSQL of t's own (initdb, pg_ctl) on a free port,
// stopped when t ends. It skips (or fails, when required) without the
// PostgreSQL server binaries.
func Private(t testing.TB) *Server {
	t.Helper()
	bin := os.Getenv("FIGCHECK_PG_BIN")
	if bin == "" {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		if len(matches) == 0 {
			unavailable(t, "no initdb under /usr/lib/postgresql/*/bin (set FIGCHECK_PG_BIN)")
		}
		bin = filepath.Dir(matches[len(matches)-1])
	}
	s := &Server{t: t, bin: bin}
	dir, err := os.MkdirTemp("", "figcheck-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable(t, "running as root and there is no postgres user for initdb")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.asUser = "postgres"
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.port = freePort(t)
	s.baseURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	s.Start()
	t.Cleanup(func() { _, _ = s.run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop") })
	return s
}

func (s *Server) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, tool), args...)
	if s.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.asUser, "--", filepath.Join(s.bin, tool)}, args...)...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

// Start starts (or restarts) the server and waits until it accepts
// connections.
func (s *Server) Start() {
	s.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off -c max_connections=200", s.port, s.dir)
	if out, err := s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-l", filepath.Join(s.dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		s.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Stop stops the server at once (connections are cut).
func (s *Server) Stop() {
	s.t.Helper()
	if out, err := s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "stop"); err != nil {
		s.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// DB creates a database on the private server and returns its URL.
func (s *Server) DB() string {
	s.t.Helper()
	return createDB(s.t, s.baseURL)
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URLWith returns u with its query parameter k set to v.
func URLWith(u, k, v string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	q.Set(k, v)
	p.RawQuery = q.Encode()
	return strings.TrimSpace(p.String())
}
