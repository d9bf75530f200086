package testredis

import (
	"context"
	"testing"
	"time"
)

func TestAddrAnswersPing(t *testing.T) {
	addr := Addr(t)
	if err := Ping(addr, time.Second); err != nil {
		t.Fatalf("Addr returned %s which does not answer: %v", addr, err)
	}
}

func TestStartStopRestart(t *testing.T) {
	s := Start(t)
	if s.Addr() == DefaultAddr {
		t.Fatalf("Start must not return the shared server")
	}
	ctx := context.Background()
	if r, err := s.Do(ctx, "SET", "k", "v"); err != nil || r != "+OK" {
		t.Fatalf("SET: %q %v", r, err)
	}
	s.Stop()
	if err := Ping(s.Addr(), 200*time.Millisecond); err == nil {
		t.Fatalf("server still answers after Stop")
	}
	s.Stop() // idempotent
	s.Restart()
	if err := Ping(s.Addr(), time.Second); err != nil {
		t.Fatalf("no answer after Restart: %v", err)
	}
	// Nothing is persisted.
	if r, err := s.Do(ctx, "DBSIZE"); err != nil || r != ":0" {
		t.Fatalf("DBSIZE after restart: %q %v", r, err)
	}
}

func TestPrefixUnique(t *testing.T) {
	if Prefix(t) == Prefix(t) {
		t.Fatalf("prefixes repeat")
	}
}
