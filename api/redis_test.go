package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/figcheck/figcheck/internal/testredis"
)

// redisConfig is testConfig with the shared tier at addr, read on memory
// misses, under a key prefix of the test's own.
func redisConfig(t testing.TB, addr string) Config {
	cfg := testConfig()
	cfg.RedisURL = "redis://" + addr + "/0"
	cfg.Cache.Prefix = testredis.Prefix(t)
	read := true
	cfg.Cache.RedisRead = &read
	cfg.Cache.RedisBackoff = 200 * time.Millisecond
	return cfg
}

// eventually retries f until it returns nil or the deadline passes.
func eventually(t testing.TB, d time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %v", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRedisSharedAcrossReplicas: a result computed by one replica is a hit
// for another that shares its Redis.
func TestRedisSharedAcrossReplicas(t *testing.T) {
	addr := testredis.Addr(t)
	cfg := redisConfig(t, addr)
	a, b := newTestServer(t, &cfg), newTestServer(t, &cfg)
	if r := a.get("/readyz"); r.Status != 200 || r.JSON(t)["redis"] != "ok" {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
	body := mustJSON(t, fullSubmission(t))
	first := a.postJSON("/v1/check", body).JSON(t)
	if first["cached"] != false {
		t.Fatalf("first check is cached: %v", first["cached"])
	}
	key := cfg.Cache.Prefix + first["check_id"].(string)
	eventually(t, 5*time.Second, func() error { // writes are queued
		r, err := testredis.Do(t.Context(), addr, "EXISTS", key)
		if err != nil || r != ":1" {
			return fmt.Errorf("EXISTS %s: %q %v", key, r, err)
		}
		return nil
	})
	second := b.postJSON("/v1/check", body).JSON(t)
	if second["cached"] != true || second["check_id"] != first["check_id"] || second["verdict"] != first["verdict"] {
		t.Fatalf("replica b: cached=%v id=%v (a: %v)", second["cached"], second["check_id"], first["check_id"])
	}
	if !strings.Contains(b.metricsText(), `figcheck_cache_requests_total{result="hit",tier="redis"} 1`) {
		t.Fatalf("b did not count a redis hit:\n%s", grep(b.metricsText(), "cache_requests"))
	}
	// b now has it in memory.
	if third := b.postJSON("/v1/check", body).JSON(t); third["cached"] != true {
		t.Fatal("third check not cached")
	}
	if !strings.Contains(b.metricsText(), `figcheck_cache_requests_total{result="hit",tier="memory"} 1`) {
		t.Fatalf("b did not count a memory hit:\n%s", grep(b.metricsText(), "cache_requests"))
	}
	// The TTL is set on the Redis key.
	if r, err := testredis.Do(t.Context(), addr, "PTTL", key); err != nil || !strings.HasPrefix(r, ":") || r == ":-1" || r == ":-2" {
		t.Fatalf("PTTL %s: %q %v", key, r, err)
	}
	_, _ = testredis.Do(context.Background(), addr, "DEL", key)
}

// TestRedisOutage: Redis dies mid-run; checks keep succeeding, uncached by
// Redis and without waiting for it (the breaker); readyz says degraded;
// when Redis is back the service uses it again by itself.
func TestRedisOutage(t *testing.T) {
	rs := testredis.Start(t)
	cfg := redisConfig(t, rs.Addr())
	cfg.Cache.RedisTimeout = 50 * time.Millisecond
	a, b := newTestServer(t, &cfg), newTestServer(t, &cfg)
	sub := func(i int) []byte {
		s := fullSubmission(t)
		s["unit"] = fmt.Sprintf("单位%d", i)
		return mustJSON(t, s)
	}
	// Healthy: a's result reaches b through Redis.
	first := a.postJSON("/v1/check", sub(0)).JSON(t)
	eventually(t, 5*time.Second, func() error {
		if b.postJSON("/v1/check", sub(0)).JSON(t)["cached"] != true {
			return fmt.Errorf("b does not see a's result")
		}
		return nil
	})
	_ = first

	rs.Stop()
	const n = 200
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	var slowest time.Duration
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			r := a.postJSON("/v1/check", sub(1000+i))
			d := time.Since(t0)
			mu.Lock()
			slowest = max(slowest, d)
			mu.Unlock()
			if r.Status != http.StatusOK {
				errs <- fmt.Errorf("check %d during the outage: %d %s", i, r.Status, trunc(r.Body))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	elapsed := time.Since(start)
	text := a.metricsText()
	errorsCount := metricValue(text, `figcheck_cache_requests_total{result="error",tier="redis"}`)
	skipped := metricValue(text, `figcheck_cache_requests_total{result="skipped",tier="redis"}`)
	t.Logf("outage: %d checks in %s (slowest %s); redis errors %v, skipped %v", n, elapsed, slowest, errorsCount, skipped)
	// The breaker: most requests never ask the dead Redis.
	if errorsCount < 1 || skipped < n/2 {
		t.Fatalf("breaker not used: redis errors %v, skipped %v of %d reads", errorsCount, skipped, n)
	}
	// A very loose bound, against a check that hangs on the dead Redis (the
	// proof that checks do not wait for it is the skipped count above; the
	// speed is in the benchmarks).
	if slowest > 10*time.Second {
		t.Fatalf("a check took %s while Redis was down", slowest)
	}
	r := a.get("/readyz")
	if r.Status != 200 || r.JSON(t)["redis"] != "degraded" || r.JSON(t)["status"] != "ready" {
		t.Fatalf("readyz during the outage: %d %s", r.Status, r.Body)
	}

	rs.Restart()
	// Recovery by itself: after the backoff a new result is written and
	// read by the other replica again.
	eventually(t, 10*time.Second, func() error {
		if r := a.get("/readyz"); r.JSON(t)["redis"] != "ok" {
			return fmt.Errorf("readyz redis=%v", r.JSON(t)["redis"])
		}
		return nil
	})
	i := 5000
	eventually(t, 10*time.Second, func() error {
		i++
		a.postJSON("/v1/check", sub(i))
		time.Sleep(50 * time.Millisecond)
		if got := b.postJSON("/v1/check", sub(i)).JSON(t)["cached"]; got != true {
			return fmt.Errorf("b's check of a's submission cached=%v", got)
		}
		return nil
	})
}

// metricValue returns the value of the series whose line starts with name,
// or 0.
func metricValue(text, series string) float64 {
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			fmt.Sscan(strings.TrimSpace(rest), &v)
			return v
		}
	}
	return 0
}

// TestRedisDefaultWriteOnly: by default results are written to Redis (so
// that replicas reading it share them) but a memory miss does not read it.
func TestRedisDefaultWriteOnly(t *testing.T) {
	addr := testredis.Addr(t)
	cfg := testConfig()
	cfg.RedisURL = "redis://" + addr
	cfg.Cache.Prefix = testredis.Prefix(t)
	if cfg.Cache.RedisRead == nil || *cfg.Cache.RedisRead {
		t.Fatalf("cache.redis_read defaults to %v, want false", cfg.Cache.RedisRead)
	}
	a, b := newTestServer(t, &cfg), newTestServer(t, &cfg)
	body := mustJSON(t, fullSubmission(t))
	first := a.postJSON("/v1/check", body).JSON(t)
	key := cfg.Cache.Prefix + first["check_id"].(string)
	eventually(t, 5*time.Second, func() error {
		if r, err := testredis.Do(t.Context(), addr, "EXISTS", key); err != nil || r != ":1" {
			return fmt.Errorf("EXISTS %s: %q %v", key, r, err)
		}
		return nil
	})
	if got := b.postJSON("/v1/check", body).JSON(t); got["cached"] != false || got["check_id"] != first["check_id"] {
		t.Fatalf("b: cached=%v id=%v", got["cached"], got["check_id"])
	}
	if v := metricValue(b.metricsText(), `figcheck_cache_requests_total{result="hit",tier="redis"}`); v != 0 {
		t.Fatalf("b read redis %v times", v)
	}
	_, _ = testredis.Do(context.Background(), addr, "DEL", key)
}
