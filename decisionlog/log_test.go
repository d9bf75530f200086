package decisionlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// memSink stores entries; it fails while failing is set, and blocks
// while gate is non-nil and open.
type memSink struct {
	mu      sync.Mutex
	entries []Entry
	failing atomic.Bool
	gate    chan struct{}
	writes  atomic.Int64
}

func (m *memSink) Write(ctx context.Context, batch []Entry) error {
	m.writes.Add(1)
	if m.gate != nil {
		select {
		case <-m.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if m.failing.Load() {
		return errors.New("sink down")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, batch...)
	return nil
}

func (m *memSink) Close() error { return nil }

func (m *memSink) ids() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, e := range m.entries {
		out[e.ID]++
	}
	return out
}

func entry(i int) Entry {
	return Entry{Form: "f", Unit: "u", Period: "p", CheckID: fmt.Sprint("c", i), Time: time.Now(), Verdict: "pass"}
}

func TestLogWritesEverythingAndFlushesOnClose(t *testing.T) {
	sink := &memSink{}
	reg := prometheus.NewRegistry()
	l := mustNew(t, Options{Sink: sink, QueueSize: 20000, Registerer: reg})
	const n = 5000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n / 4 {
				if !l.Log(entry(w*n + i)) {
					t.Errorf("entry dropped with a large queue")
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids := sink.ids()
	if len(ids) != n {
		t.Fatalf("sink has %d entries, want %d", len(ids), n)
	}
	st := l.Stats()
	if st.Written != n || st.DroppedTotal() != 0 {
		t.Fatalf("stats %+v", st)
	}
	if got := gathered(t, reg, "figcheck_decision_log_written_total"); got != n {
		t.Fatalf("written metric %v", got)
	}
	if l.Log(entry(0)) {
		t.Fatal("Log after Close accepted an entry")
	}
	if l.Stats().Dropped[DropShutdown] != 1 {
		t.Fatal("Log after Close was not counted as dropped")
	}
}

func TestLogFullQueueDropsAndCounts(t *testing.T) {
	sink := &memSink{gate: make(chan struct{})}
	l := mustNew(t, Options{Sink: sink, QueueSize: 10, BatchSize: 1})
	accepted, dropped := 0, 0
	for i := range 100 {
		if l.Log(entry(i)) {
			accepted++
		} else {
			dropped++
		}
	}
	if dropped == 0 || accepted > 12 {
		t.Fatalf("accepted %d dropped %d with a blocked sink and queue 10", accepted, dropped)
	}
	close(sink.gate)
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if st.Written != uint64(accepted) || st.Dropped[DropQueueFull] != uint64(dropped) {
		t.Fatalf("stats %+v, accepted %d dropped %d", st, accepted, dropped)
	}
}

func TestLogRetriesWithBackoffUntilTheSinkRecovers(t *testing.T) {
	sink := &memSink{}
	sink.failing.Store(true)
	l := mustNew(t, Options{Sink: sink, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})
	for i := range 50 {
		l.Log(entry(i))
	}
	deadline := time.Now().Add(5 * time.Second)
	for sink.writes.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	sink.failing.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if st.Written != 50 || st.Errors < 4 || st.DroppedTotal() != 0 {
		t.Fatalf("stats %+v", st)
	}
	if ids := sink.ids(); len(ids) != 50 {
		t.Fatalf("%d entries stored", len(ids))
	}
	_ = l.Close(ctx)
}

func TestLogMaxAttemptsDropsTheBatch(t *testing.T) {
	sink := &memSink{}
	sink.failing.Store(true)
	l := mustNew(t, Options{Sink: sink, Backoff: time.Millisecond, MaxAttempts: 3})
	for i := range 7 {
		l.Log(entry(i))
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if st.Written != 0 || st.Dropped[DropSinkError] != 7 || st.Errors < 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCloseGivesUpWhenItsContextEnds(t *testing.T) {
	sink := &memSink{}
	sink.failing.Store(true)
	l := mustNew(t, Options{Sink: sink, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	for i := range 30 {
		l.Log(entry(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want deadline exceeded", err)
	}
	st := l.Stats()
	if st.Written+st.DroppedTotal() != 30 || st.Dropped[DropShutdown] != 30 {
		t.Fatalf("stats %+v", st)
	}
}

// gathered sums the samples of one metric family.
func gathered(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func mustNew(t testing.TB, opts Options) *Log {
	t.Helper()
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
