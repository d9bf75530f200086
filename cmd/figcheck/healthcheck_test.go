package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestProbeURL(t *testing.T) {
	for _, tc := range []struct {
		listen string
		ready  bool
		want   string
		err    bool
	}{
		{listen: ":8080", want: "http://127.0.0.1:8080/healthz"},
		{listen: "0.0.0.0:9000", ready: true, want: "http://127.0.0.1:9000/readyz"},
		{listen: "[::]:8080", want: "http://[::1]:8080/healthz"},
		{listen: "10.1.2.3:8080", want: "http://10.1.2.3:8080/healthz"},
		{listen: "localhost:1", want: "http://localhost:1/healthz"},
		{listen: "no-port", err: true},
		{listen: "host:", err: true},
	} {
		got, err := probeURL(tc.listen, tc.ready)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("probeURL(%q, %v) = %q, %v; want %q, error %v", tc.listen, tc.ready, got, err, tc.want, tc.err)
		}
	}
}

func TestRunHealthcheck(t *testing.T) {
	var ready atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz":
			_, _ = io.WriteString(w, `{"status":"ok"}`)
		case r.URL.Path == "/readyz" && ready.Load():
			_, _ = io.WriteString(w, `{"status":"ready"}`)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer ts.Close()
	addr := strings.TrimPrefix(ts.URL, "http://")
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--addr", addr}, exitOK},
		{[]string{"--addr", addr, "--ready"}, exitFail},
		{[]string{"--addr", "127.0.0.1:1", "--timeout", "500ms"}, exitFail},
		{[]string{"--addr", "nonsense"}, exitBadArgs},
		{[]string{"--addr", addr, "extra"}, exitBadArgs},
		{[]string{"--bogus"}, exitBadArgs},
	} {
		var out, errb strings.Builder
		if got := runHealthcheck(tc.args, nil, &out, &errb); got != tc.want {
			t.Errorf("healthcheck %v: exit %d, want %d (stderr %q)", tc.args, got, tc.want, errb.String())
		}
	}
	ready.Store(true)
	if got := runHealthcheck([]string{"--addr", addr, "--ready"}, nil, io.Discard, io.Discard); got != exitOK {
		t.Errorf("healthcheck --ready on a ready server: exit %d", got)
	}
}
