package decisionlog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// checkBalance asserts written + spilled pending + dropped never exceeds
// what was logged, and trails it by at most what can be queued or in
// flight.
func checkBalance(t *testing.T, l *Log, slack uint64) {
	t.Helper()
	st := l.Stats()
	sum := st.Written + uint64(st.SpilledPending) + st.DroppedTotal()
	if logged := l.logged.Load(); sum > logged || logged-sum > slack {
		t.Errorf("written %d + pending %d + dropped %d = %d, logged %d", st.Written, st.SpilledPending, st.DroppedTotal(), sum, logged)
	}
}

func TestSpillWhileTheSinkIsDown(t *testing.T) {
	sink := &memSink{}
	sink.failing.Store(true)
	spill := filepath.Join(t.TempDir(), "d.spill")
	// A queue that holds everything: no entry overtakes the queue by
	// going to the spill from Log, so the sink sees them in order.
	l := mustNew(t, Options{Sink: sink, Spill: spill, QueueSize: 4096, BatchSize: 8, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	const n = 2000
	var order []string
	for i := range n {
		e := entry(i)
		e.ID = NewID()
		order = append(order, e.ID)
		if !l.Log(e) {
			t.Fatal("an entry was dropped with a spill")
		}
		if i%100 == 0 {
			checkBalance(t, l, 4096+8)
		}
	}
	time.Sleep(20 * time.Millisecond)
	if st := l.Stats(); st.Written != 0 || st.SpilledPending == 0 {
		t.Fatalf("with the sink down: %+v", st)
	}
	sink.failing.Store(false)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if st.Written != n || st.DroppedTotal() != 0 || st.SpilledPending != 0 || st.Logged != n {
		t.Fatalf("after the sink came back: %+v", st)
	}
	checkBalance(t, l, 0)
	sink.mu.Lock()
	for i, e := range sink.entries {
		if e.ID != order[i] {
			sink.mu.Unlock()
			t.Fatalf("entry %d out of order", i)
		}
	}
	sink.mu.Unlock()
	if fi, err := os.Stat(spill); err != nil || fi.Size() != 0 {
		t.Fatalf("spill not emptied: %v %v", fi, err)
	}
	_ = l.Close(ctx)
}

func TestSpillWhenTheQueueIsFull(t *testing.T) {
	sink := &memSink{gate: make(chan struct{})}
	l := mustNew(t, Options{Sink: sink, Spill: filepath.Join(t.TempDir(), "s"), QueueSize: 10, BatchSize: 1, Backoff: time.Millisecond})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				if !l.Log(entry(w*1000 + i)) {
					t.Error("dropped")
				}
			}
		}()
	}
	wg.Wait()
	checkBalance(t, l, 10+1)
	close(sink.gate)
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if len(sink.ids()) != 1000 || st.Written != 1000 || st.DroppedTotal() != 0 || st.Spilled == 0 {
		t.Fatalf("stats %+v, %d stored", st, len(sink.ids()))
	}
}

// TestSpillOutlivesARestart: entries still spilled at Close are replayed
// by the next Log on the same spill.
func TestSpillOutlivesARestart(t *testing.T) {
	sink := &memSink{}
	sink.failing.Store(true)
	spill := filepath.Join(t.TempDir(), "s")
	l := mustNew(t, Options{Sink: sink, Spill: spill, Backoff: time.Millisecond})
	for i := range 50 {
		l.Log(entry(i))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_ = l.Close(ctx)
	if st := l.Stats(); st.SpilledPending != 50 || st.DroppedTotal() != 0 {
		t.Fatalf("at close: %+v", st)
	}
	sink.failing.Store(false)
	l = mustNew(t, Options{Sink: sink, Spill: spill, Backoff: time.Millisecond})
	if err := l.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Logged != 50 || st.Written != 50 || st.SpilledPending != 0 || len(sink.ids()) != 50 {
		t.Fatalf("after the restart: %+v", st)
	}
	_ = l.Close(t.Context())
}

// halfSink stores half of each batch and then fails, as a sink that
// loses its connection mid-batch does: the replay resends what it had.
type halfSink struct {
	memSink
	n int
}

func (h *halfSink) Write(ctx context.Context, batch []Entry) error {
	h.n++
	if h.n%2 == 1 && len(batch) > 1 {
		_ = h.memSink.Write(ctx, batch[:len(batch)/2])
		return context.DeadlineExceeded
	}
	return h.memSink.Write(ctx, batch)
}

func TestReplayResendsAndSinksKeepEachIDOnce(t *testing.T) {
	sink := &halfSink{}
	l := mustNew(t, Options{Sink: sink, Spill: filepath.Join(t.TempDir(), "s"), BatchSize: 8, Backoff: time.Millisecond})
	for i := range 100 {
		l.Log(entry(i))
	}
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	ids := sink.ids()
	if st := l.Stats(); len(ids) != 100 || st.Written != 100 || st.DroppedTotal() != 0 {
		t.Fatalf("%d distinct ids, stats %+v", len(ids), st)
	}
}

// failingFile fails every write, as a full disk does.
type failingFile struct{ file }

func (failingFile) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestFullSpillDiskDrops: only when the spill cannot take an entry is it
// dropped, counted as spill_error, and the counts still balance.
func TestFullSpillDiskDrops(t *testing.T) {
	real := openFile
	openFile = func(name string) (file, error) {
		f, err := real(name)
		if err != nil || !strings.HasSuffix(name, ".spill") {
			return f, err
		}
		return failingFile{f}, nil
	}
	t.Cleanup(func() { openFile = real })
	sink := &memSink{}
	sink.failing.Store(true)
	l := mustNew(t, Options{Sink: sink, Spill: filepath.Join(t.TempDir(), "d.spill"), Backoff: time.Millisecond})
	for i := range 20 {
		l.Log(entry(i))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_ = l.Close(ctx)
	st := l.Stats()
	if st.Dropped[DropSpillError] != 20 || st.Written != 0 || st.SpilledPending != 0 || st.Logged != 20 {
		t.Fatalf("stats %+v", st)
	}
	checkBalance(t, l, 0)
}

// TestShutdownSpillsWhatIsQueued: when Close gives up on a slow sink, what
// is still queued goes to the spill, not away.
func TestShutdownSpillsWhatIsQueued(t *testing.T) {
	sink := &memSink{gate: make(chan struct{})} // blocks every write
	spill := filepath.Join(t.TempDir(), "s")
	l := mustNew(t, Options{Sink: sink, Spill: spill, BatchSize: 4, WriteTimeout: time.Hour})
	for i := range 40 {
		l.Log(entry(i))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_ = l.Close(ctx)
	st := l.Stats()
	if st.DroppedTotal() != 0 || st.Written+uint64(st.SpilledPending) != 40 {
		t.Fatalf("stats %+v", st)
	}
}
