package store

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
)

// SinkOptions configure a DecisionSink.
type SinkOptions struct {
	// Retention deletes entries older than this; 0 keeps them forever.
	Retention time.Duration
	// PurgeEvery is how often retention runs (default 1h).
	PurgeEvery time.Duration
	Logger     *slog.Logger
}

// DecisionSink keeps the decision log in a Store (the db sink): a
// decisionlog.Sink and Reader whose history queries are indexed and the
// same from every replica. Write is idempotent on the entry id, so the
// log's retries and replays never store an entry twice.
type DecisionSink struct {
	s    Store
	opts SinkOptions
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// NewDecisionSink writes to s; it does not close s. With a retention it
// purges old entries at start and every PurgeEvery.
func NewDecisionSink(s Store, opts SinkOptions) *DecisionSink {
	if opts.PurgeEvery <= 0 {
		opts.PurgeEvery = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &DecisionSink{s: s, opts: opts, stop: make(chan struct{})}
	if opts.Retention > 0 {
		d.wg.Go(d.retain)
	}
	return d
}

// Write stores the batch; entries already stored are skipped.
func (d *DecisionSink) Write(ctx context.Context, batch []decisionlog.Entry) error {
	return d.s.WriteDecisions(ctx, batch)
}

// Entries reads the entries matching f, oldest first.
func (d *DecisionSink) Entries(ctx context.Context, f decisionlog.Filter) ([]decisionlog.Entry, error) {
	return d.s.Decisions(ctx, f)
}

// FlaggedEntries reads only the series that may be flagged changed-to-pass.
func (d *DecisionSink) FlaggedEntries(ctx context.Context, f decisionlog.Filter) ([]decisionlog.Entry, error) {
	return d.s.FlaggedDecisions(ctx, f)
}

// Close stops the retention loop; the store stays open.
func (d *DecisionSink) Close() error {
	d.once.Do(func() { close(d.stop) })
	d.wg.Wait()
	return nil
}

// Purge deletes the entries beyond the retention now and says how many.
func (d *DecisionSink) Purge(ctx context.Context) (int64, error) {
	cutoff := time.Now().Add(-d.opts.Retention)
	n, err := d.s.PurgeDecisions(ctx, cutoff)
	if err != nil {
		d.opts.Logger.Warn("decision log retention failed; retrying at the next interval", "err", err)
		return n, err
	}
	if n > 0 {
		d.opts.Logger.Info("decision log retention: entries deleted", "deleted", n, "older_than", cutoff.UTC(), "retention", d.opts.Retention)
	}
	return n, nil
}

func (d *DecisionSink) retain() {
	t := time.NewTicker(d.opts.PurgeEvery)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		_, _ = d.Purge(ctx)
		cancel()
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
	}
}
