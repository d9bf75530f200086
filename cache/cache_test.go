package cache

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/figcheck/figcheck/internal/testredis"
	"github.com/redis/go-redis/v9"
)

// counts records Observer calls.
type counts struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counts) observe(tier, result string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[tier+"/"+result]++
}

func (c *counts) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func newClient(t testing.TB, addr string) redis.UniversalClient {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func newCache(t testing.TB, opts Options) *Cache {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func TestMemory(t *testing.T) {
	var n counts
	c := newCache(t, Options{Size: 2, TTL: time.Hour, Observe: n.observe})
	ctx := t.Context()
	if _, _, ok := c.Get(ctx, "a"); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Set("a", []byte("1"))
	c.Set("b", []byte("2"))
	if v, tier, ok := c.Get(ctx, "a"); !ok || string(v) != "1" || tier != TierMemory {
		t.Fatalf("get a: %q %q %v", v, tier, ok)
	}
	c.Set("c", []byte("3")) // evicts b, the least recently used
	if _, _, ok := c.Get(ctx, "b"); ok {
		t.Fatal("the cache is not bounded")
	}
	if n.get("memory/hit") != 1 || n.get("memory/miss") != 2 {
		t.Fatalf("counts %v", n.m)
	}
	c.Purge()
	if _, _, ok := c.Get(ctx, "a"); ok {
		t.Fatal("hit after Purge")
	}
	if conf, _ := c.RedisHealthy(); conf {
		t.Fatal("redis reported configured")
	}
}

func TestMemoryTTL(t *testing.T) {
	c := newCache(t, Options{TTL: 30 * time.Millisecond})
	c.Set("a", []byte("1"))
	time.Sleep(60 * time.Millisecond)
	if _, _, ok := c.Get(t.Context(), "a"); ok {
		t.Fatal("expired entry returned")
	}
}

func TestRedisTier(t *testing.T) {
	addr := testredis.Addr(t)
	prefix := testredis.Prefix(t)
	var na, nb counts
	a := newCache(t, Options{Redis: newClient(t, addr), Prefix: prefix, TTL: time.Minute, ReadRedis: true, Observe: na.observe})
	b := newCache(t, Options{Redis: newClient(t, addr), Prefix: prefix, TTL: time.Minute, ReadRedis: true, Observe: nb.observe})
	writeOnly := newCache(t, Options{Redis: newClient(t, addr), Prefix: prefix, TTL: time.Minute, ReadRedis: false})
	ctx := t.Context()
	a.Set("k1", []byte("v1"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, tier, ok := b.Get(ctx, "k1")
		if ok {
			if string(v) != "v1" || tier != TierRedis {
				t.Fatalf("b got %q from %q", v, tier)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a's write never reached b")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Now in b's memory.
	if _, tier, ok := b.Get(ctx, "k1"); !ok || tier != TierMemory {
		t.Fatalf("second get from %q %v", tier, ok)
	}
	if _, _, ok := writeOnly.Get(ctx, "k1"); ok {
		t.Fatal("a cache without ReadRedis read Redis")
	}
	if nb.get("redis/hit") != 1 || nb.get("memory/hit") != 1 {
		t.Fatalf("b counts %v", nb.m)
	}
	ttl, err := newClient(t, addr).PTTL(ctx, prefix+"k1").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("PTTL %v %v", ttl, err)
	}
	_ = newClient(t, addr).Del(context.Background(), prefix+"k1")
	if err := a.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRedisHung: a Redis that accepts connections and never answers costs
// one timeout, then the breaker keeps requests off it until the backoff
// ends; nothing is waited for longer than the timeout.
func TestRedisHung(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns sync.WaitGroup
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() { defer conns.Done(); <-done; c.Close() }()
		}
	}()
	var n counts
	const timeout = 50 * time.Millisecond
	c := newCache(t, Options{Redis: newClient(t, ln.Addr().String()), ReadRedis: true, Timeout: timeout,
		Backoff: time.Hour, Observe: n.observe})
	ctx := t.Context()
	t0 := time.Now()
	if _, _, ok := c.Get(ctx, "x"); ok {
		t.Fatal("hit from a hung redis")
	}
	first := time.Since(t0)
	t1 := time.Now()
	for i := range 100 {
		c.Get(ctx, fmt.Sprint("y", i))
		c.Set(fmt.Sprint("y", i), []byte("v"))
	}
	rest := time.Since(t1)
	t.Logf("first get %s, 100 more gets+sets %s", first, rest)
	if first > 20*timeout {
		t.Fatalf("the first get waited %s with a timeout of %s", first, timeout)
	}
	if n.get("redis/error") != 1 || n.get("redis/skipped") < 100 {
		t.Fatalf("breaker not open: %v", n.m)
	}
	if _, healthy := c.RedisHealthy(); healthy {
		t.Fatal("RedisHealthy after a failure")
	}
	// Close does not hang on the queue of skipped writes.
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c.Close(cctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c.Set("late", []byte("v")) // after Close: no panic
}

// TestRedisRecovers: after an outage the breaker closes by itself once the
// backoff has passed and Redis answers.
func TestRedisRecovers(t *testing.T) {
	rs := testredis.Start(t)
	var n counts
	c := newCache(t, Options{Redis: newClient(t, rs.Addr()), ReadRedis: true, Backoff: 100 * time.Millisecond, Observe: n.observe})
	ctx := t.Context()
	rs.Stop()
	c.Get(ctx, "a")
	if _, healthy := c.RedisHealthy(); healthy {
		t.Fatal("healthy while down")
	}
	if err := c.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded while down")
	}
	rs.Restart()
	time.Sleep(150 * time.Millisecond)
	c.Set("b", []byte("v"))
	c.Purge()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, tier, ok := c.Get(ctx, "b"); ok && tier == TierRedis {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no redis hit after recovery: %v", n.m)
		}
		time.Sleep(20 * time.Millisecond)
		c.Set("b", []byte("v"))
		c.Purge()
	}
	if _, healthy := c.RedisHealthy(); !healthy {
		t.Fatal("not healthy after recovery")
	}
}

func TestSetAfterCloseAndFullQueue(t *testing.T) {
	var n counts
	// A queue of one and a hung writer: further writes are dropped, never block.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := New(Options{Redis: newClient(t, ln.Addr().String()), QueueSize: 1, Timeout: time.Second, Observe: n.observe})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for i := range 50 {
		c.Set(fmt.Sprint(i), []byte("v"))
	}
	if d := time.Since(t0); d > 500*time.Millisecond {
		t.Fatalf("Set blocked for %s", d)
	}
	if n.get("redis/dropped") == 0 {
		t.Fatalf("no write dropped: %v", n.m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
	c.Set("late", []byte("v"))
}

func BenchmarkMemoryHit(b *testing.B) {
	c := newCache(b, Options{})
	c.Set("k", make([]byte, 4096))
	ctx := context.Background()
	for b.Loop() {
		c.Get(ctx, "k")
	}
}

// BenchmarkRedisGet is one Redis GET round trip of a result-sized value
// through the cache (memory purged first).
func BenchmarkRedisGet(b *testing.B) {
	addr := testredis.Addr(b)
	prefix := testredis.Prefix(b)
	client := newClient(b, addr)
	c := newCache(b, Options{Redis: client, Prefix: prefix, ReadRedis: true, Size: 1})
	if err := client.Set(context.Background(), prefix+"k", make([]byte, 4096), time.Minute).Err(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Del(context.Background(), prefix+"k") })
	ctx := context.Background()
	for b.Loop() {
		c.Purge()
		if _, _, ok := c.Get(ctx, "k"); !ok {
			b.Fatal("miss")
		}
	}
}

// TestRedisWritesPipelined: a burst of writes all reach Redis, with their
// TTL, none dropped.
func TestRedisWritesPipelined(t *testing.T) {
	addr := testredis.Addr(t)
	prefix := testredis.Prefix(t)
	// Generous timeouts: this test is about every write arriving, not about
	// a loaded machine answering within 50 ms.
	client := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	t.Cleanup(func() { _ = client.Close() })
	var n counts
	c := newCache(t, Options{Redis: client, Prefix: prefix, TTL: time.Minute, Timeout: 5 * time.Second, Observe: n.observe})
	const count = 300
	for i := range count {
		c.Set(fmt.Sprint("k", i), []byte(fmt.Sprint("v", i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil { // drains the queue
		t.Fatal(err)
	}
	keys := make([]string, count)
	for i := range keys {
		keys[i] = fmt.Sprint(prefix, "k", i)
	}
	vals, err := client.MGet(ctx, keys...).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if v != fmt.Sprint("v", i) {
			t.Fatalf("key %d: %v (dropped %d, errors %d)", i, v, n.get("redis/dropped"), n.get("redis/error"))
		}
	}
	if ttl := client.PTTL(ctx, keys[count-1]).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("PTTL %v", ttl)
	}
	client.Del(context.Background(), keys...)
}
