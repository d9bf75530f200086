package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// runHealthcheck asks a running server for /healthz (or /readyz with
// --ready) and exits 0 when it answers 200. It lets a container image
// without curl or a shell probe itself (the Dockerfile's HEALTHCHECK).
func runHealthcheck(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("healthcheck", stderr)
	addr := fs.String("addr", "", "the server's listen `address` (default FIGCHECK_ADDR, else 127.0.0.1:8080)")
	ready := fs.Bool("ready", false, "ask /readyz (a ruleset is loaded) instead of /healthz")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this `duration`")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "figcheck healthcheck: unexpected argument %q\n", fs.Arg(0))
		return exitBadArgs
	}
	target := *addr
	if target == "" {
		target = os.Getenv("FIGCHECK_ADDR")
	}
	if target == "" {
		target = "127.0.0.1:8080"
	}
	u, err := probeURL(target, *ready)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck healthcheck: %v\n", err)
		return exitBadArgs
	}
	client := &http.Client{Timeout: *timeout}
	resp, err := client.Get(u)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck healthcheck: %v\n", err)
		return exitFail
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "figcheck healthcheck: %s answered %s\n", u, resp.Status)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: %s\n", u, resp.Status)
	return exitOK
}

// probeURL turns a listen address into the URL to probe: a wildcard or
// empty host (":8080", "0.0.0.0:8080", "[::]:8080") means this machine.
func probeURL(listen string, ready bool) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", listen, err)
	}
	if port == "" {
		return "", fmt.Errorf("address %q has no port", listen)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	path := "/healthz"
	if ready {
		path = "/readyz"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
