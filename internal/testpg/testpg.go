// Package testpg gives tests a PostgreSQL database of their own: created
// with a random name on the server and dropped when the test ends.
//
// Environment:
//
//	FIGCHECK_TEST_POSTGRES      URL of the server (default postgres://postgres@127.0.0.1:5432/postgres)
//	FIGCHECK_REQUIRE_POSTGRES=1 fail instead of skipping when the server does not answer (so does CI=true)
package testpg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the development server: trust authentication on loopback.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func serverURL() string {
	if u := os.Getenv("FIGCHECK_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultURL
}

// unavailable skips t, or fails it when PostgreSQL is required.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("FIGCHECK_REQUIRE_POSTGRES") == "1" || os.Getenv("CI") == "true" {
		t.Fatalf("postgres required (CI=true or FIGCHECK_REQUIRE_POSTGRES=1) but unavailable: %s", msg)
	}
	t.Skipf("skipping: no postgres: %s (set FIGCHECK_TEST_POSTGRES)", msg)
}

// Database creates a database with a random name for t and returns its
// URL; it is dropped (with whatever connections are left) when t ends.
func Database(t testing.TB) string {
	t.Helper()
	base, err := url.Parse(serverURL())
	if err != nil {
		t.Fatalf("FIGCHECK_TEST_POSTGRES: %v", err)
	}
	if path, err := exec.LookPath("pg_isready"); err == nil {
		args := []string{"-q", "-t", "2", "-h", base.Hostname()}
		if p := base.Port(); p != "" {
			args = append(args, "-p", p)
		}
		if err := exec.Command(path, args...).Run(); err != nil {
			unavailable(t, "pg_isready %s: %v", base.Host, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base.String())
	if err != nil {
		unavailable(t, "%v", err)
	}
	defer admin.Close(context.Background())
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "figcheck_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base.String())
		if err != nil {
			t.Errorf("dropping database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	u := *base
	u.Path = "/" + name
	return u.String()
}
