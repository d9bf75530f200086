package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/internal/testredis"
	"github.com/redis/go-redis/v9"
)

// The handler-path benchmarks answer "does the Redis tier pay for itself on
// the shipped form?": compare CheckMiss (evaluate), CheckMemoryHit,
// CheckRedisHit (memory purged, answered from Redis), CheckMissRedisRead
// (a miss that asks Redis first) and RedisGet (one GET round trip alone).
//
//	go test -run '^$' -bench . -benchmem ./api/

// benchBody returns the full submission with a fixed-width unit name that
// unique() rewrites in place. The members stay in the file's order, "form"
// first, as clients and the wrk script (bench/wrk/check.lua) send them.
func benchBody(b *testing.B) (body []byte, unique func(i int)) {
	body, err := os.ReadFile("testdata/full.json")
	if err != nil {
		b.Fatal(err)
	}
	unit := mustJSON(b, fullSubmission(b)["unit"])
	body = bytes.Replace(body, unit, []byte(`"U000000000000"`), 1)
	at := bytes.Index(body, []byte("U000000000000")) + 1
	return body, func(i int) {
		s := strconv.Itoa(i)
		copy(body[at:at+12], "000000000000")
		copy(body[at+12-len(s):at+12], s)
	}
}

func serveBench(b *testing.B, s *testServer, body []byte) {
	b.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/check", nil)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	req.Body = http.NoBody
	req.ContentLength = int64(len(body))
	rd := bytes.NewReader(body)
	req.Body = readCloser{rd}
	rec.Body.Reset()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%d %s", rec.Code, trunc(rec.Body.Bytes()))
	}
}

// cpuPerOp reports the process CPU time (user+system, every goroutine:
// GC, the cache writer, the decision log) per operation as cpu-ns/op. On a
// shared machine it moves much less than wall time. Call the returned func
// right after the loop.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// BenchmarkEvaluate is the checker alone on the full submission.
func BenchmarkEvaluate(b *testing.B) {
	s := newTestServer(b, nil)
	f, _ := s.Ruleset().Form(shippedForm)
	body, _ := benchBody(b)
	sub, err := checker.DecodeSubmissionBytes(body)
	if err != nil {
		b.Fatal(err)
	}
	var c checker.Checker
	done := cpuPerOp(b)
	for b.Loop() {
		c.Check(f, sub)
	}
	done()
}

// BenchmarkCheckMiss: every request a new submission, no Redis.
func BenchmarkCheckMiss(b *testing.B) {
	s := newTestServer(b, nil)
	benchMisses(b, s)
}

// benchMisses sends s a new submission each iteration.
func benchMisses(b *testing.B, s *testServer) {
	body, unique := benchBody(b)
	i := 0
	done := cpuPerOp(b)
	for b.Loop() {
		i++
		unique(i)
		serveBench(b, s, body)
	}
	done()
}

// BenchmarkCheckMemoryHit: the same submission every time.
func BenchmarkCheckMemoryHit(b *testing.B) {
	s := newTestServer(b, nil)
	body, _ := benchBody(b)
	serveBench(b, s, body)
	done := cpuPerOp(b)
	for b.Loop() {
		serveBench(b, s, body)
	}
	done()
}

func redisBenchServer(b *testing.B, read bool) *testServer {
	cfg := redisConfig(b, testredis.Addr(b))
	cfg.Cache.RedisRead = &read
	// The decision log would follow the cache to Redis; keep it on the
	// file, as in the benchmarks without Redis, to compare the cache alone.
	cfg.DecisionLog.Sink = "file"
	return newTestServer(b, &cfg)
}

// BenchmarkCheckRedisHit: the in-process tier is emptied before each
// request, so the answer comes from Redis (as on a replica that has not
// seen the submission).
func BenchmarkCheckRedisHit(b *testing.B) {
	s := redisBenchServer(b, true)
	body, _ := benchBody(b)
	serveBench(b, s, body)
	time.Sleep(100 * time.Millisecond) // the write is queued
	done := cpuPerOp(b)
	for b.Loop() {
		s.cache.Purge()
		serveBench(b, s, body)
	}
	done()
	b.StopTimer()
	if metricValue(s.metricsText(), `figcheck_cache_requests_total{result="hit",tier="redis"}`) < float64(b.N) {
		b.Fatal("not answered from redis")
	}
}

// BenchmarkCheckMissRedisRead: a new submission with Redis read on: the
// miss pays a Redis GET before evaluating (and queues a SET).
func BenchmarkCheckMissRedisRead(b *testing.B) {
	s := redisBenchServer(b, true)
	benchMisses(b, s)
}

// BenchmarkCheckMissRedisWriteOnly: a new submission with Redis read off:
// evaluate, queue a SET for the other replicas.
func BenchmarkCheckMissRedisWriteOnly(b *testing.B) {
	s := redisBenchServer(b, false)
	benchMisses(b, s)
}

// BenchmarkRedisGet is one GET of a result-sized value, no handler.
func BenchmarkRedisGet(b *testing.B) {
	addr := testredis.Addr(b)
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()
	s := newTestServer(b, nil)
	body, _ := benchBody(b)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/v1/check", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	s.Handler().ServeHTTP(rec, req)
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	key := testredis.Prefix(b) + "bench"
	ctx := context.Background()
	if err := client.Set(ctx, key, rec.Body.Bytes(), time.Minute).Err(); err != nil {
		b.Fatal(err)
	}
	defer client.Del(ctx, key)
	b.ReportMetric(float64(rec.Body.Len()), "value-bytes")
	done := cpuPerOp(b)
	for b.Loop() {
		if _, err := client.Get(ctx, key).Bytes(); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// BenchmarkParts splits the request path: what the ceiling server does
// (decode into a map) against figcheck's steps on the full submission.
func BenchmarkParts(b *testing.B) {
	s := newTestServer(b, nil)
	f, _ := s.Ruleset().Form(shippedForm)
	body, _ := benchBody(b)
	sub, err := checker.DecodeSubmissionBytes(body)
	if err != nil {
		b.Fatal(err)
	}
	var c checker.Checker
	res := c.Check(f, sub)
	b.Run("ceiling-decode-map", func(b *testing.B) {
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-submission", func(b *testing.B) {
		for b.Loop() {
			if _, err := checker.DecodeSubmissionBytes(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("digest", func(b *testing.B) {
		for b.Loop() {
			checker.CheckID(f, checker.SubmissionDigest(sub))
		}
	})
	b.Run("evaluate", func(b *testing.B) {
		for b.Loop() {
			c.Check(f, sub)
		}
	})
	b.Run("encode-result", func(b *testing.B) {
		for b.Loop() {
			encodeEntry(res)
		}
	})
}
