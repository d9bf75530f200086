package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/auth"
)

func TestTokenAdd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"add", "ops", "--role", "admin", "--tokens", path}, exitOK, ""},
		{[]string{"add", "--tokens", path, "--role", "unit:东城区", "dc"}, exitOK, ""},
		{[]string{"add", "ops", "--role", "auditor", "--tokens", path}, exitBadArgs, "already has a token"},
		{[]string{"add", "x", "--role", "root", "--tokens", path}, exitBadArgs, "bad role"},
		{[]string{"add", "--role", "admin", "--tokens", path}, exitBadArgs, "exactly one NAME"},
		{[]string{"remove", "ops"}, exitBadArgs, "usage"},
	}
	var tokens []string
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"token"}, tt.args...), nil, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.err) {
			t.Fatalf("%v: exit %d, stderr %q", tt.args, code, stderr.String())
		}
		if code == exitOK {
			tokens = append(tokens, strings.TrimSpace(stdout.String()))
		}
	}
	tok, err := auth.LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"admin", "unit:东城区"} {
		p, ok := tok.Lookup(tokens[i])
		if !ok || p.Role.String() != want {
			t.Fatalf("token %d: %v %v", i, p, ok)
		}
	}
	data, _ := os.ReadFile(path)
	for _, tk := range tokens {
		if strings.Contains(string(data), tk) {
			t.Fatal("the tokens file holds a token")
		}
	}
	var stdout bytes.Buffer
	if code := run([]string{"token", "list", "--tokens", path}, nil, &stdout, &bytes.Buffer{}); code != exitOK ||
		stdout.String() != "ops\tadmin\ndc\tunit:东城区\n" {
		t.Fatalf("list: %d %q", code, stdout.String())
	}
}

func TestHistory(t *testing.T) {
	log := filepath.Join("..", "..", "decisionlog", "testdata", "history.jsonl")
	tests := []struct {
		args []string
		code int
		want []string
		not  []string
	}{
		{[]string{"--log", log, "--unit", "东城区", "--period", "2026H1"}, exitOK,
			[]string{"demo 东城区 2026H1: 2 attempts  [changed to pass]", "gold_medals: 9 → 3", "changed to pass: sports.gold_le_events", "failed: sports.gold_le_events"},
			[]string{"西城区", "2025H2"}},
		{[]string{"--log", log, "--flagged"}, exitOK, []string{"东城区 2025H2", "东城区 2026H1"}, []string{"西城区", "南城区"}},
		{[]string{"--log", log, "--unit", "南城区", "--format", "json"}, exitOK, []string{`"changed_to_pass": false`, `"unit": "南城区"`}, nil},
		{[]string{"--unit", "x"}, exitBadArgs, nil, nil},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"history"}, tt.args...), nil, &stdout, &stderr)
		if code != tt.code {
			t.Fatalf("%v: exit %d: %s", tt.args, code, stderr.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, w, stdout.String())
			}
		}
		for _, w := range tt.not {
			if strings.Contains(stdout.String(), w) {
				t.Errorf("%v: output has %q:\n%s", tt.args, w, stdout.String())
			}
		}
	}
}

func TestServeFlagsForAccessControl(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		ok   bool
	}{
		{[]string{"--addr", "0.0.0.0:8080"}, nil, false},
		{[]string{"--addr", "0.0.0.0:8080", "--insecure"}, nil, true},
		{[]string{"--addr", "0.0.0.0:8080", "--tokens", "t"}, nil, true},
		{[]string{"--addr", "0.0.0.0:8080"}, map[string]string{"FIGCHECK_TOKENS": "t"}, true},
		{nil, nil, true},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		_, _, ok := serveSettings(tt.args, func(k string) string { return tt.env[k] }, &stderr)
		if ok != tt.ok {
			t.Errorf("%v %v: ok %v: %s", tt.args, tt.env, ok, stderr.String())
		}
	}
}

// TestHistoryEscapesTerminalControls: fields from the log are printed so
// that a terminal shows them instead of acting on them, in text and JSON;
// an unreadable line is listed, not skipped.
func TestHistoryEscapesTerminalControls(t *testing.T) {
	log := filepath.Join(t.TempDir(), "d.jsonl")
	hostile := "2026H1\x1b]2;pwned\x07\x1b[2J\u009b31m\u202e"
	period, _ := json.Marshal(hostile)
	line := `{"id":"a","check_id":"c","time":"2026-07-01T00:00:00Z","source":"check","form":"demo","unit":"东城区\u001b[31m","period":` +
		string(period) + `,"verdict":"fail","violated":[{"rule":"r\u0007","severity":"error"}],"figures":{"x\u001b":"\u001b[1m"},"actor":"a","role":"unit:东城区"}` + "\n" +
		`{"id":"b","form":"demo","time":"2026-07-01T00:00:01Z","unit":"东城区","period":"2026H1","figures":{"x":1}}` + "\n" +
		"{\"id\":\"torn\x1b[5m\",\"form\":\"demo\"\n"
	if err := os.WriteFile(log, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"history", "--log", log, "--format", format}, nil, &stdout, &stderr); code != exitOK {
			t.Fatalf("%s: exit %d: %s", format, code, stderr.String())
		}
		out := stdout.String()
		for _, r := range out {
			if r < 0x20 && r != '\n' || r >= 0x7f && r <= 0x9f || r == '\u202e' {
				t.Fatalf("%s output holds control character %U:\n%q", format, r, out)
			}
		}
		if !strings.Contains(out, `\u001b]2;pwned`) || !strings.Contains(out, "d.jsonl:3") {
			t.Fatalf("%s output does not show the escaped period or the unreadable line:\n%s", format, out)
		}
		if format == "json" {
			var v struct {
				Series     []any
				Unreadable struct{ Count int }
			}
			if err := json.Unmarshal(stdout.Bytes(), &v); err != nil || v.Unreadable.Count != 1 {
				t.Fatalf("json output: %v, %+v", err, v)
			}
		}
	}
}
