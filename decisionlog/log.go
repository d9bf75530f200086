package decisionlog

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Sink stores entries. Write is called from one goroutine at a time and
// either stores the whole batch or returns an error.
//
// Write must be idempotent on Entry.ID: a failed batch is written again
// (retried, or spilled and replayed later, possibly after a restart), and
// a replay may resend entries the sink already took, so a sink must keep
// an entry once however often it is given (RedisSink deduplicates on
// Entry.ID; the JSONL readers drop repeated ids; a database sink needs
// the id as a unique key with an upsert or insert-or-ignore). The batch
// must not be kept after Write returns.
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
	// until Close gives up. It does not apply with a Spill.
	MaxAttempts int
	// Spill is a local file where entries wait when the queue is full or
	// the sink fails, replayed in order once the sink takes writes again
	// (also after a restart). Without it a full queue drops entries and a
	// failing sink is retried with backoff.
	Spill string
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
	DropQueueFull  = "queue_full"
	DropSinkError  = "sink_error"
	DropShutdown   = "shutdown"
	DropSpillError = "spill_error" // the spill could not take or give back an entry (its disk is full)
)

var dropReasons = [...]string{DropQueueFull, DropSinkError, DropShutdown, DropSpillError}

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

	spill *spill // nil: no spill

	logged, written, errs, spilled atomic.Uint64
	dropped                        [len(dropReasons)]atomic.Uint64

	mLogged, mWritten, mErrors, mSpilled prometheus.Counter
	mDropped                             *prometheus.CounterVec
}

// New starts a Log, opening its spill (replaying what an earlier run left
// there). Close it to flush and stop.
func New(opts Options) (*Log, error) {
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
			Name: "figcheck_decision_log_dropped_total", Help: "Decision log entries lost, by reason (queue_full, sink_error, shutdown, spill_error).",
		}, []string{"reason"}),
		mLogged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "figcheck_decision_log_logged_total",
			Help: "Decision log entries given to the log (with those a previous run left in the spill): written + queued + spilled pending + dropped.",
		}),
		mSpilled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "figcheck_decision_log_spilled_total", Help: "Decision log entries put in the spill file (each is replayed to the sink later).",
		}),
	}
	for _, r := range dropReasons {
		l.mDropped.WithLabelValues(r)
	}
	if opts.Spill != "" {
		sp, err := openSpill(opts.Spill)
		if err != nil {
			return nil, err
		}
		l.spill = sp
		if n := sp.pending.Load(); n > 0 {
			// Left by an earlier run: logged then, to be written now.
			l.logged.Add(uint64(n))
			l.mLogged.Add(float64(n))
			l.log.Info("decision log spill has entries from an earlier run; replaying them", "entries", n, "spill", opts.Spill)
		}
	}
	if opts.Registerer != nil {
		queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "figcheck_decision_log_queue_length", Help: "Decision log entries waiting to be written.",
		}, func() float64 { return float64(len(l.q)) })
		pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "figcheck_decision_log_spilled_pending", Help: "Decision log entries in the spill file not replayed to the sink yet.",
		}, func() float64 { return float64(l.pending()) })
		opts.Registerer.MustRegister(l.mLogged, l.mWritten, l.mErrors, l.mDropped, l.mSpilled, queued, pending)
	}
	go l.run()
	return l, nil
}

func (l *Log) pending() int64 {
	if l.spill == nil {
		return 0
	}
	return l.spill.pending.Load()
}

// Log queues e without blocking on the sink. When the queue is full, e
// goes to the spill (a local append). It returns false when e was dropped
// (the queue is full without a spill, the spill failed, or the log is
// closed); the drop is counted.
func (l *Log) Log(e Entry) bool {
	if e.ID == "" {
		e.ID = NewID()
	}
	l.logged.Add(1)
	l.mLogged.Inc()
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
	}
	if l.spill == nil {
		l.drop(DropQueueFull, 1)
		return false
	}
	l.prepare(&e)
	return l.toSpill([]Entry{e})
}

// prepare makes e what is stored: completed, then bounded. Every entry
// passes here before any sink or the spill sees it.
func (l *Log) prepare(e *Entry) {
	e.complete()
	e.bound(l.opts.Limits)
}

// toSpill puts batch in the spill, or counts it as dropped.
func (l *Log) toSpill(batch []Entry) bool {
	if err := l.spill.add(batch); err != nil {
		l.log.Error("decision log spill failed; entries dropped", "err", err, "entries", len(batch))
		l.drop(DropSpillError, len(batch))
		return false
	}
	l.spilled.Add(uint64(len(batch)))
	l.mSpilled.Add(float64(len(batch)))
	return true
}

// Flush waits until every entry queued before it has been written (or
// dropped) — with a spill, until the replay has passed it — or ctx ends.
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

// Close stops taking entries, writes what is queued (and replays the
// spill) and closes the sink. When ctx ends first, what is still queued
// goes to the spill for the next run, or without one is dropped (and
// counted).
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

// Stats are the log's counts so far. Logged = Written + queued +
// SpilledPending + DroppedTotal.
type Stats struct {
	Logged, Written, Errors uint64
	// Spilled counts the entries put in the spill; SpilledPending those
	// of them (and of an earlier run) not replayed yet.
	Spilled        uint64
	SpilledPending int64
	// Dropped by reason: DropQueueFull, DropSinkError, DropShutdown,
	// DropSpillError.
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
	st := Stats{
		Logged: l.logged.Load(), Written: l.written.Load(), Errors: l.errs.Load(),
		Spilled: l.spilled.Load(), SpilledPending: l.pending(), Dropped: map[string]uint64{},
	}
	for i, r := range dropReasons {
		st.Dropped[r] = l.dropped[i].Load()
	}
	return st
}

func (l *Log) drop(reason string, n int) {
	if n == 0 {
		return
	}
	i := slices.Index(dropReasons[:], reason)
	l.dropped[i].Add(uint64(n))
	l.mDropped.WithLabelValues(reason).Add(float64(n))
}

func (l *Log) run() {
	defer close(l.done)
	batch := make([]Entry, 0, l.opts.BatchSize)
	var markers []chan struct{}
	var waiting []spillWait // flushes waiting for the replay
	wait := l.opts.Backoff
	var retry *time.Timer
	for {
		var tick <-chan time.Time
		if l.spill != nil && !l.spill.empty() {
			if retry == nil {
				retry = time.NewTimer(wait)
			}
			tick = retry.C
		}
		var e *Entry
		var ok bool
		select {
		case e, ok = <-l.q:
		case <-tick:
			retry = nil
			switch ok, more := l.replay(); {
			case more:
				wait = 0
			case ok:
				wait = l.opts.Backoff
			default:
				wait = min(max(2*wait, l.opts.Backoff), l.opts.MaxBackoff)
			}
			waiting = l.release(waiting)
			continue
		}
		if !ok {
			l.drainSpill()
			for _, w := range waiting {
				close(w.done)
			}
			return
		}
		batch, markers = batch[:0], markers[:0]
		add := func(e *Entry) {
			if e.flush != nil {
				markers = append(markers, e.flush)
				return
			}
			l.prepare(e)
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
		if l.spill != nil && !l.spill.empty() {
			// Behind what waits in the spill, to keep the order.
			if len(batch) > 0 {
				l.toSpill(batch)
			}
		} else {
			l.write(batch)
		}
		clear(batch) // let the figures go
		for _, m := range markers {
			if l.spill != nil && !l.spill.empty() {
				waiting = append(waiting, spillWait{l.spill.mark(), m})
			} else {
				close(m)
			}
		}
	}
}

// spillWait is a flush waiting for the replay to pass a place.
type spillWait struct {
	at   mark
	done chan struct{}
}

// release closes the flushes the replay has passed and returns the rest.
func (l *Log) release(waiting []spillWait) []spillWait {
	return slices.DeleteFunc(waiting, func(w spillWait) bool {
		if l.spill.replayed(w.at) {
			close(w.done)
			return true
		}
		return false
	})
}

// replayTurn bounds the batches one replay sends before the writer looks
// at its queue again.
const replayTurn = 16

// replay sends spilled entries to the sink, oldest first. ok reports that
// the sink took some (the backoff starts again); more that some are left
// for the next turn.
func (l *Log) replay() (ok, more bool) {
	for i := range replayTurn {
		ok = i > 0
		entries, end, bad, err := l.spill.next(l.opts.BatchSize)
		if err != nil {
			l.log.Error("reading the decision log spill", "err", err)
			return ok, false
		}
		if len(entries) == 0 && bad == 0 {
			return true, false
		}
		if len(entries) > 0 && l.send(entries) != nil {
			return ok, false
		}
		// Out of the spill before counted as written, so that no moment
		// counts an entry twice.
		l.spill.done(end, len(entries)+bad)
		l.written.Add(uint64(len(entries)))
		l.mWritten.Add(float64(len(entries)))
		if bad > 0 {
			l.log.Error("decision log spill lines could not be read; dropped", "lines", bad)
			l.drop(DropSpillError, bad)
		}
		if l.spill.empty() {
			l.log.Info("decision log spill replayed")
			return true, false
		}
	}
	return true, true
}

// drainSpill replays the spill at Close until it is empty or Close's
// context ends; what is left stays in the file for the next run.
func (l *Log) drainSpill() {
	if l.spill == nil {
		return
	}
	defer func() {
		if err := l.spill.close(); err != nil {
			l.log.Error("closing the decision log spill", "err", err)
		}
	}()
	wait := l.opts.Backoff
	for !l.spill.empty() {
		if ok, more := l.replay(); ok || more {
			wait = l.opts.Backoff
			continue
		}
		if !l.sleep(wait) {
			l.log.Warn("decision log closed with entries in the spill; the next run replays them", "entries", l.pending())
			return
		}
		wait = min(2*wait, l.opts.MaxBackoff)
	}
}

// write stores batch. With a spill, one failed write puts the batch in
// the spill; without, it is retried with backoff.
func (l *Log) write(batch []Entry) {
	if len(batch) == 0 {
		return
	}
	wait := l.opts.Backoff
	for attempt := 1; ; attempt++ {
		select {
		case <-l.abort:
			if l.spill != nil {
				l.toSpill(batch) // for the next run
			} else {
				l.drop(DropShutdown, len(batch))
			}
			return
		default:
		}
		err := l.send(batch)
		if err == nil {
			l.written.Add(uint64(len(batch)))
			l.mWritten.Add(float64(len(batch)))
			if attempt > 1 {
				l.log.Info("decision log sink recovered", "attempts", attempt)
			}
			return
		}
		if l.spill != nil {
			l.log.Warn("decision log write failed; spilling until the sink is back", "err", err, "entries", len(batch))
			l.toSpill(batch)
			return
		}
		if attempt == 1 {
			l.log.Warn("decision log write failed; retrying with backoff", "err", err, "entries", len(batch))
		}
		if l.opts.MaxAttempts > 0 && attempt >= l.opts.MaxAttempts {
			l.log.Error("decision log batch dropped after failed writes", "attempts", attempt, "entries", len(batch), "err", err)
			l.drop(DropSinkError, len(batch))
			return
		}
		if !l.sleep(wait) {
			l.drop(DropShutdown, len(batch))
			return
		}
		wait = min(2*wait, l.opts.MaxBackoff)
	}
}

// send gives batch to the sink once, within WriteTimeout or until Close
// gives up; a failure is counted.
func (l *Log) send(batch []Entry) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.WriteTimeout)
	defer cancel()
	go func() { // Close giving up ends a write in progress too
		select {
		case <-l.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := l.opts.Sink.Write(ctx, batch)
	if err != nil {
		l.errs.Add(1)
		l.mErrors.Inc()
	}
	return err
}

// sleep waits d, or returns false when Close gives up first.
func (l *Log) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.abort:
		return false
	}
}
