package api

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/internal/testredis"
	"github.com/redis/go-redis/v9"
)

// aofRedis is a private redis-server that keeps its data in an
// append-only file fsynced on every write, so that what it acknowledged
// survives a kill -9 and a restart: the stream after the restart is
// everything the sink was told was written.
type aofRedis struct {
	t    *testing.T
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

func startAOFRedis(t *testing.T) *aofRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("FIGCHECK_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-server is required (FIGCHECK_REQUIRE_REDIS=1) but not installed")
		}
		t.Skip("skipping: redis-server is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &aofRedis{t: t, dir: t.TempDir(), port: l.Addr().(*net.TCPAddr).Port}
	l.Close()
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *aofRedis) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *aofRedis) start() {
	r.t.Helper()
	var err error
	for range 50 { // the old socket may linger after a kill
		r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", r.dir,
			"--protected-mode", "no", "--logfile", filepath.Join(r.dir, "redis.log"))
		if err = r.cmd.Start(); err != nil {
			r.t.Fatal(err)
		}
		r.done = make(chan struct{})
		go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(r.cmd, r.done)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if err = testredis.Ping(r.addr(), 200*time.Millisecond); err == nil {
				return
			}
			select {
			case <-r.done:
				deadline = time.Now()
			case <-time.After(20 * time.Millisecond):
			}
		}
		r.kill()
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
	r.t.Fatalf("private redis-server on %d did not start: %v\n%s", r.port, err, log)
}

// kill stops this test's own redis-server (by its process, never by name).
func (r *aofRedis) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// TestDecisionLogSurvivesRedisOutage: 10,000 checks with the Redis sink;
// the private Redis is killed a third of the way in and kept down for a
// second after the log sees it fail. No check fails, no entry is dropped
// (they wait in the spill), written + spilled pending + dropped trails
// logged by at most the queue throughout, and afterwards the stream
// holds every check exactly once.
func TestDecisionLogSurvivesRedisOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 checks")
	}
	rd := startAOFRedis(t)
	dir := t.TempDir()
	cfg := testConfig()
	cfg.RedisURL = "redis://" + rd.addr()
	cfg.DecisionLog.Sink = "redis"
	cfg.DecisionLog.Stream = "{decisions-test}"
	cfg.DecisionLog.Queue = 2000
	cfg.DecisionLog.Path = filepath.Join(dir, "decisions.jsonl") // the spill goes beside it
	cfg.Receipts.DevKeyFile = filepath.Join(dir, "k")
	s := newTestServer(t, &cfg)
	stopBalance := make(chan struct{})
	balanceDone := make(chan struct{})
	go func() { // the counts balance at every moment
		defer close(balanceDone)
		for {
			select {
			case <-stopBalance:
				return
			case <-time.After(time.Millisecond):
			}
			// Logged read before the other counts bounds what is not yet
			// written from below, and read after them bounds the sum
			// from above: the checks go on between the reads, and one
			// read of logged for both made the test fail on a busy
			// machine by the checks logged in between.
			before := s.DecisionLog().Stats().Logged
			st := s.DecisionLog().Stats()
			sum := st.Written + uint64(st.SpilledPending) + st.DroppedTotal()
			after := s.DecisionLog().Stats().Logged
			if sum > after || before > sum && before-sum > uint64(cfg.DecisionLog.Queue)+256+8 {
				t.Errorf("written %d + pending %d + dropped %d, logged %d before and %d after", st.Written, st.SpilledPending, st.DroppedTotal(), before, after)
				return
			}
		}
	}()

	const checks, workers = 10000, 8
	bodies := make([][]byte, 500)
	for i := range bodies {
		bodies[i] = submission(t, fmt.Sprintf("单位%03d", i), map[string]any{"schools_total": 100 + i%7})
	}
	var next, completed, failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= checks {
					return
				}
				req := httptest.NewRequest(http.MethodPost, "/v1/check", bytes.NewReader(bodies[i%int64(len(bodies))]))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				s.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					failed.Add(1)
				}
				completed.Add(1)
			}
		}()
	}
	waitFor := func(n int64) {
		for completed.Load() < n {
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(checks / 3)
	rd.kill()
	killedAt := completed.Load()
	// Keep Redis down until the log has seen it fail: counting checks is
	// not enough, since checks can outrun the log's writer by far.
	for deadline := time.Now().Add(20 * time.Second); s.DecisionLog().Stats().Errors == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the decision log saw no failed write in 20 s with Redis down")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(time.Second) // down under load: the queue fills, entries spill
	rd.start()
	restartedAt := completed.Load()
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d checks failed", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	close(stopBalance)
	<-balanceDone
	st := s.DecisionLog().Stats()
	t.Logf("killed after %d checks, restarted after %d; written %d, spilled %d, dropped %v, write errors %d",
		killedAt, restartedAt, st.Written, st.Spilled, st.Dropped, st.Errors)
	if st.Written != checks || st.DroppedTotal() != 0 || st.SpilledPending != 0 || st.Logged != checks {
		t.Fatalf("logged %d, written %d, pending %d, dropped %d; want all %d written", st.Logged, st.Written, st.SpilledPending, st.DroppedTotal(), checks)
	}
	if st.Errors == 0 || st.Spilled == 0 {
		t.Fatal("no write failed or nothing spilled: the outage was not seen")
	}
	client := redis.NewClient(&redis.Options{Addr: rd.addr()})
	defer client.Close()
	bg := context.Background()
	n, err := client.XLen(bg, cfg.DecisionLog.Stream).Result()
	if err != nil {
		t.Fatal(err)
	}
	// Count ids in the raw stream, without the reader's deduplication.
	ids := map[string]int{}
	start := "-"
	for {
		msgs, err := client.XRangeN(bg, cfg.DecisionLog.Stream, start, "+", 1000).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			ids[m.Values["id"].(string)]++
		}
		if len(msgs) < 1000 {
			break
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	if n != checks || len(ids) != int(n) {
		t.Fatalf("stream has %d entries with %d distinct ids; %d were written", n, len(ids), st.Written)
	}
	entries, bad, err := decisionlog.ReadStream(bg, client, cfg.DecisionLog.Stream, decisionlog.Filter{})
	if err != nil || bad != 0 || len(entries) != int(n) {
		t.Fatalf("ReadStream: %d entries, %d bad, %v", len(entries), bad, err)
	}
}
