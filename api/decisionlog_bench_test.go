package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/figcheck/figcheck/internal/testpg"
	"github.com/figcheck/figcheck/internal/testredis"
	"github.com/redis/go-redis/v9"
)

// BenchmarkDecisionLogOverhead measures what the decision log costs a
// POST /v1/check answered from the cache (the cheapest path, so the log's
// share is the largest). The shared machine's load moves every absolute
// figure, so the servers run in alternation: each round sends a block of
// checks to each server, with its log flushed before the block ends, and
// the benchmark reports the median over rounds of each variant's wall
// time and process CPU (getrusage) per check, and of the overheads
// (log on / log off − 1). Redis-backed variants use a private
// redis-server, whose CPU (INFO cpu) is reported separately.
//
//	go test -run '^$' -bench DecisionLogOverhead -benchtime 20x ./api
//
// -benchtime Nx is the number of rounds; each round is 2,000 checks per
// variant. The db variants log to the store: SQLite in a temp dir, and a
// database of its own on the PostgreSQL at 127.0.0.1:5432 (skipped
// without one). Every variant has a store (the previous-period lookup).
func BenchmarkDecisionLogOverhead(b *testing.B) {
	rd := testredis.Start(b)
	variants := []struct {
		name, sink string
		redis      bool
		db         func() string
	}{
		{"memcache-logoff", "off", false, nil},
		{"memcache-logfile", "file", false, nil},
		{"rediscache-logoff", "off", true, nil},
		{"rediscache-logredis", "redis", true, nil},
		{"memcache-logsqlite", "db", false, func() string { return "sqlite:" + filepath.Join(b.TempDir(), "f.db") }},
		{"memcache-logpostgres", "db", false, func() string { return testpg.DB(b) }},
	}
	type server struct {
		s    *testServer
		wall []float64 // ns per check, per round
		cpu  []float64
		rcpu []float64
	}
	servers := make([]*server, len(variants))
	body := submission(b, trailUnit, nil)
	for i, v := range variants {
		dir := b.TempDir()
		cfg := testConfig()
		cfg.DecisionLog.Sink = v.sink
		cfg.DecisionLog.Path = filepath.Join(dir, "d.jsonl")
		cfg.Receipts.DevKeyFile = filepath.Join(dir, "k")
		if v.redis {
			cfg.RedisURL = rd.URL()
			cfg.DecisionLog.MaxLen = 100000
		}
		if v.db != nil {
			cfg.DB = v.db()
		}
		servers[i] = &server{s: newTestServer(b, &cfg)}
	}
	client := redis.NewClient(&redis.Options{Addr: rd.Addr()})
	defer client.Close()
	redisCPU := func() float64 {
		info, _ := client.Info(context.Background(), "cpu").Result()
		total := 0.0
		for _, line := range strings.Split(info, "\r\n") {
			for _, k := range []string{"used_cpu_user:", "used_cpu_sys:"} {
				if v, ok := strings.CutPrefix(line, k); ok {
					f, _ := strconv.ParseFloat(v, 64)
					total += f
				}
			}
		}
		return total
	}
	post := func(s *testServer) int {
		req := httptest.NewRequest(http.MethodPost, "/v1/check", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	for _, sv := range servers {
		post(sv.s) // fill the cache
	}
	const block, workers = 2000, 2
	b.ResetTimer()
	for range b.N {
		for _, sv := range servers {
			r0, c0, t0 := redisCPU(), processCPU(), time.Now()
			var wg sync.WaitGroup
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range block / workers {
						if post(sv.s) != http.StatusOK {
							b.Error("check failed")
							return
						}
					}
				}()
			}
			wg.Wait()
			if log := sv.s.DecisionLog(); log != nil {
				if err := log.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			sv.wall = append(sv.wall, float64(time.Since(t0).Nanoseconds())/block)
			sv.cpu = append(sv.cpu, float64((processCPU()-c0).Nanoseconds())/block)
			sv.rcpu = append(sv.rcpu, (redisCPU()-r0)*1e9/block)
		}
	}
	b.StopTimer()
	for i, sv := range servers {
		b.ReportMetric(median(sv.wall), variants[i].name+"-wall-ns/check")
		b.ReportMetric(median(sv.cpu), variants[i].name+"-cpu-ns/check")
		if variants[i].redis {
			b.ReportMetric(median(sv.rcpu), variants[i].name+"-rediscpu-ns/check")
		}
	}
	overhead := func(on, off *server, field func(*server) []float64) float64 {
		r := make([]float64, len(field(on)))
		for i := range r {
			r[i] = 100 * (field(on)[i]/field(off)[i] - 1)
		}
		return median(r)
	}
	wall := func(s *server) []float64 { return s.wall }
	cpu := func(s *server) []float64 { return s.cpu }
	b.ReportMetric(overhead(servers[1], servers[0], wall), "file-wall-overhead-%")
	b.ReportMetric(overhead(servers[1], servers[0], cpu), "file-cpu-overhead-%")
	b.ReportMetric(overhead(servers[3], servers[2], wall), "redis-wall-overhead-%")
	b.ReportMetric(overhead(servers[3], servers[2], cpu), "redis-cpu-overhead-%")
	b.ReportMetric(overhead(servers[4], servers[0], wall), "sqlite-wall-overhead-%")
	b.ReportMetric(overhead(servers[4], servers[0], cpu), "sqlite-cpu-overhead-%")
	b.ReportMetric(overhead(servers[5], servers[0], wall), "postgres-wall-overhead-%")
	b.ReportMetric(overhead(servers[5], servers[0], cpu), "postgres-cpu-overhead-%")
	b.ReportMetric(0, "ns/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
