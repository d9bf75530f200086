package decisionlog

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/prometheus/client_golang/prometheus"
)

// Sink stores entries. Write is called from one goroutine at a time and
// either stores the whole batch or returns an error, after which the
// same batch is written again: a sink must keep an entry once however
// often it is given (RedisSink deduplicates on Entry.ID; the JSONL
// readers drop repeated ids).
type Sink interface {
	Write(ctx context.Context, batch []Entry) error
	Close() error
}

// Reader reads stored entries back, oldest first.
type Reader interface {
	Entries(ctx context.Context, f Filter) ([]Entry, error)
}

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("decisionlog: closed")

// Options configure a Log.
type Options struct {
	Sink Sink
	// QueueSize bounds the entries waiting to be written (default 8192).
	QueueSize int
	// BatchSize bounds the entries given to the sink at once (default 256).
	BatchSize int
	// Backoff is the first wait after a failed write (default 50ms); it
	// doubles up to MaxBackoff (default 5s).
	Backoff, MaxBackoff time.Duration
	// MaxAttempts drops a batch after this many failed writes; 0 retries
	// until Close gives up.
	MaxAttempts int
	// WriteTimeout bounds one Write call (default 5s).
	WriteTimeout time.Duration
	// Limits bound each entry (zero fields: DefaultLimits).
	Limits Limits
	// Registerer receives the metrics; nil registers none.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Drop reasons, the values of the dropped counter's reason label.
const (
	DropQueueFull = "queue_full"
	DropSinkError = "sink_error"
	DropShutdown  = "shutdown"
)

// Log queues entries and writes them to its sink from one goroutine.
type Log struct {
	opts Options
	log  *slog.Logger
	q    chan *Entry // pointers: the GC scans the whole buffer every cycle

	mu     sync.RWMutex // guards closed against sends on q
	closed bool

	abort     chan struct{} // closed when Close's context ends
	abortOnce sync.Once
	sinkOnce  sync.Once
	sinkErr   error
	done      chan struct{}

	written, errs atomic.Uint64
	dropped       [3]atomic.Uint64

	mWritten prometheus.Counter
	mErrors  prometheus.Counter
	mDropped *prometheus.CounterVec
}

// New starts a Log. Close it to flush and stop.
func New(opts Options) *Log {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 8192
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 50 * time.Millisecond
	}
	if opts.MaxBackoff < opts.Backoff {
		opts.MaxBackoff = max(5*time.Second, opts.Backoff)
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Limits = opts.Limits.orDefault()
	l := &Log{
		opts: opts, log: opts.Logger, q: make(chan *Entry, opts.QueueSize),
		abort: make(chan struct{}), done: make(chan struct{}),
		mWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "figcheck_decision_log_written_total", Help: "Decision log entries stored by the sink.",
		}),
		mErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "figcheck_decision_log_errors_total", Help: "Failed decision log writes (each is retried).",
		}),
		mDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figcheck_decision_log_dropped_total", Help: "Decision log entries lost, by reason (queue_full, sink_error, shutdown).",
		}, []string{"reason"}),
	}
	for _, r := range []string{DropQueueFull, DropSinkError, DropShutdown} {
		l.mDropped.WithLabelValues(r)
	}
	if opts.Registerer != nil {
		queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "figcheck_decision_log_queue_length", Help: "Decision log entries waiting to be written.",
		}, func() float64 { return float64(len(l.q)) })
		opts.Registerer.MustRegister(l.mWritten, l.mErrors, l.mDropped, queued)
	}
	go l.run()
	return l
}

// Log queues e without blocking. It returns false when e was dropped
// (the queue is full or the log is closed); the drop is counted.
func (l *Log) Log(e Entry) bool {
	if e.ID == "" {
		e.ID = NewID()
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.drop(DropShutdown, 1)
		return false
	}
	select {
	case l.q <- &e:
		return true
	default:
		l.drop(DropQueueFull, 1)
		return false
	}
}

// Flush waits until every entry queued before it has been written (or
// dropped), or ctx ends.
func (l *Log) Flush(ctx context.Context) error {
	marker := &Entry{flush: make(chan struct{})}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	select {
	case l.q <- marker:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-marker.flush:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking entries, writes what is queued and closes the sink.
// When ctx ends first, what is still queued is dropped (and counted).
// Calling it again waits for the first call's work and returns at once.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.q)
	}
	l.mu.Unlock()
	var err error
	select {
	case <-l.done:
	case <-ctx.Done():
		l.abortOnce.Do(func() { close(l.abort) })
		<-l.done
		err = ctx.Err()
	}
	l.sinkOnce.Do(func() { l.sinkErr = l.opts.Sink.Close() })
	return errors.Join(err, l.sinkErr)
}

// Stats are the log's counts so far.
type Stats struct {
	Written, Errors uint64
	// Dropped by reason: DropQueueFull, DropSinkError, DropShutdown.
	Dropped map[string]uint64
}

// DroppedTotal is the sum of Dropped.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// Stats returns the counts so far.
func (l *Log) Stats() Stats {
	return Stats{
		Written: l.written.Load(), Errors: l.errs.Load(),
		Dropped: map[string]uint64{
			DropQueueFull: l.dropped[0].Load(), DropSinkError: l.dropped[1].Load(), DropShutdown: l.dropped[2].Load(),
		},
	}
}

func (l *Log) drop(reason string, n int) {
	if n == 0 {
		return
	}
	i := 0
	switch reason {
	case DropSinkError:
		i = 1
	case DropShutdown:
		i = 2
	}
	l.dropped[i].Add(uint64(n))
	l.mDropped.WithLabelValues(reason).Add(float64(n))
}

func (l *Log) run() {
	defer close(l.done)
	batch := make([]Entry, 0, l.opts.BatchSize)
	var markers []chan struct{}
	seen, _ := lru.NewLRU[string, parsed](4096, nil) // parsed results by check id; the writer's own
	for {
		e, ok := <-l.q
		if !ok {
			return
		}
		batch, markers = batch[:0], markers[:0]
		add := func(e *Entry) {
			if e.flush != nil {
				markers = append(markers, e.flush)
				return
			}
			e.complete(seen)
			e.bound(l.opts.Limits) // after complete: it bounds the violations too
			batch = append(batch, *e)
		}
		add(e)
	fill:
		for len(batch) < l.opts.BatchSize {
			select {
			case e, ok := <-l.q:
				if !ok {
					break fill
				}
				add(e)
			default:
				break fill
			}
		}
		l.write(batch)
		clear(batch) // let the figures go
		for _, m := range markers {
			close(m)
		}
	}
}

// write stores batch, retrying with backoff.
func (l *Log) write(batch []Entry) {
	if len(batch) == 0 {
		return
	}
	wait := l.opts.Backoff
	for attempt := 1; ; attempt++ {
		select {
		case <-l.abort:
			l.drop(DropShutdown, len(batch))
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.opts.WriteTimeout)
		err := l.opts.Sink.Write(ctx, batch)
		cancel()
		if err == nil {
			l.written.Add(uint64(len(batch)))
			l.mWritten.Add(float64(len(batch)))
			if attempt > 1 {
				l.log.Info("decision log sink recovered", "attempts", attempt)
			}
			return
		}
		l.errs.Add(1)
		l.mErrors.Inc()
		if attempt == 1 {
			l.log.Warn("decision log write failed; retrying with backoff", "err", err, "entries", len(batch))
		}
		if l.opts.MaxAttempts > 0 && attempt >= l.opts.MaxAttempts {
			l.log.Error("decision log batch dropped after failed writes", "attempts", attempt, "entries", len(batch), "err", err)
			l.drop(DropSinkError, len(batch))
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-l.abort:
			t.Stop()
			l.drop(DropShutdown, len(batch))
			return
		}
		wait = min(2*wait, l.opts.MaxBackoff)
	}
}
