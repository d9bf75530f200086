package main

import (
	"bytes"
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
