// Package cache is figcheck's two-tier result cache: a bounded in-process
// LRU in front of an optional Redis shared by every replica.
//
// Redis is an accelerator, never a dependency: every Redis call has a short
// timeout, a failure opens a breaker that keeps requests off Redis for a
// while, and writes go through a bounded queue so that a check never waits
// for Redis to store its result.
package cache

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/redis/go-redis/v9"
)

// Tiers and outcomes, used as metric label values.
const (
	TierMemory = "memory"
	TierRedis  = "redis"

	Hit     = "hit"
	Miss    = "miss"
	Error   = "error"   // Redis answered with an error or timed out
	Skipped = "skipped" // Redis was not asked: its breaker is open
	Dropped = "dropped" // a write was dropped: the write queue was full
)

// Observer is told the outcome of every cache request.
type Observer func(tier, result string)

// Options configure a Cache.
type Options struct {
	// Size is the number of results the in-process tier holds.
	Size int
	// TTL bounds how long a result is kept in either tier.
	TTL time.Duration
	// Redis is the shared tier; nil disables it.
	Redis redis.UniversalClient
	// Prefix is prepended to every Redis key.
	Prefix string
	// Timeout bounds each Redis call.
	Timeout time.Duration
	// Backoff is how long Redis is left alone after a failure.
	Backoff time.Duration
	// ReadRedis makes a memory miss ask Redis before the caller computes
	// the result itself; without it Redis is only written (see
	// docs/performance.md for when reading pays).
	ReadRedis bool
	// QueueSize bounds the writes waiting for Redis.
	QueueSize int
	Observe   Observer
	Logger    *slog.Logger
}

type entry struct {
	val     []byte
	expires time.Time
}

// Cache maps keys to encoded results.
type Cache struct {
	opts   Options
	mem    *lru.Cache[string, entry]
	writes chan write
	wg     sync.WaitGroup
	// downUntil holds the unix nanoseconds until which Redis is skipped.
	downUntil atomic.Int64
	lastLog   atomic.Int64
	// mu guards closed: Set sends under RLock, Close closes under Lock, so
	// a late Set never sends on a closed channel.
	mu     sync.RWMutex
	closed bool
}

type write struct {
	key string
	val []byte
}

// New returns a cache; with opts.Redis set it starts the writer goroutine
// that Close stops.
func New(opts Options) (*Cache, error) {
	if opts.Size <= 0 {
		opts.Size = 10000
	}
	if opts.TTL <= 0 {
		opts.TTL = 10 * time.Minute
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 50 * time.Millisecond
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1024
	}
	if opts.Observe == nil {
		opts.Observe = func(string, string) {}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	mem, err := lru.New[string, entry](opts.Size)
	if err != nil {
		return nil, err
	}
	c := &Cache{opts: opts, mem: mem}
	if opts.Redis != nil {
		c.writes = make(chan write, opts.QueueSize)
		c.wg.Add(1)
		go c.writer()
	}
	return c, nil
}

// Get looks key up in memory, then (with ReadRedis) in Redis. It returns
// the tier that answered.
func (c *Cache) Get(ctx context.Context, key string) (val []byte, tier string, ok bool) {
	if e, ok := c.mem.Get(key); ok {
		if time.Now().Before(e.expires) {
			c.opts.Observe(TierMemory, Hit)
			return e.val, TierMemory, true
		}
		c.mem.Remove(key)
	}
	c.opts.Observe(TierMemory, Miss)
	if c.opts.Redis == nil || !c.opts.ReadRedis {
		return nil, "", false
	}
	if !c.redisUp() {
		c.opts.Observe(TierRedis, Skipped)
		return nil, "", false
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	b, err := c.opts.Redis.Get(ctx, c.opts.Prefix+key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		c.opts.Observe(TierRedis, Miss)
		return nil, "", false
	case err != nil:
		c.redisFailed("get", err)
		return nil, "", false
	}
	c.opts.Observe(TierRedis, Hit)
	c.mem.Add(key, entry{b, time.Now().Add(c.opts.TTL)})
	return b, TierRedis, true
}

// Set stores val in memory at once and queues it for Redis.
func (c *Cache) Set(key string, val []byte) {
	c.mem.Add(key, entry{val, time.Now().Add(c.opts.TTL)})
	if c.writes == nil {
		return
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return
	}
	select {
	case c.writes <- write{key, val}:
	default:
		c.opts.Observe(TierRedis, Dropped)
	}
}

// Purge empties the in-process tier.
func (c *Cache) Purge() { c.mem.Purge() }

// RedisHealthy reports whether Redis is configured and not in backoff.
func (c *Cache) RedisHealthy() (configured, healthy bool) {
	return c.opts.Redis != nil, c.opts.Redis != nil && c.redisUp()
}

// Ping asks Redis directly, ignoring the breaker, and closes the breaker
// when it answers.
func (c *Cache) Ping(ctx context.Context) error {
	if c.opts.Redis == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	if err := c.opts.Redis.Ping(ctx).Err(); err != nil {
		c.redisFailed("ping", err)
		return err
	}
	c.downUntil.Store(0)
	return nil
}

// maxBatch bounds the writes sent to Redis in one pipeline.
const maxBatch = 64

// writer sends the queued writes, as many as are waiting (up to maxBatch)
// in one pipelined round trip: under load one SET per round trip cannot
// keep up and the queue overflows.
func (c *Cache) writer() {
	defer c.wg.Done()
	batch := make([]write, 0, maxBatch)
	for w := range c.writes {
		batch = append(batch[:0], w)
	drain:
		for len(batch) < maxBatch {
			select {
			case w, ok := <-c.writes:
				if !ok {
					break drain
				}
				batch = append(batch, w)
			default:
				break drain
			}
		}
		c.flush(batch)
	}
}

func (c *Cache) flush(batch []write) {
	if !c.redisUp() {
		for range batch {
			c.opts.Observe(TierRedis, Skipped)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	_, err := c.opts.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, w := range batch {
			p.Set(ctx, c.opts.Prefix+w.key, w.val, c.opts.TTL)
		}
		return nil
	})
	if err != nil {
		c.redisFailed("set", err)
	}
}

func (c *Cache) redisUp() bool { return time.Now().UnixNano() >= c.downUntil.Load() }

// redisFailed opens the breaker for Backoff and logs at most once every
// 10 seconds, however short Backoff is.
func (c *Cache) redisFailed(op string, err error) {
	c.opts.Observe(TierRedis, Error)
	now := time.Now()
	c.downUntil.Store(now.Add(c.opts.Backoff).UnixNano())
	last := c.lastLog.Load()
	if now.UnixNano()-last >= int64(10*time.Second) && c.lastLog.CompareAndSwap(last, now.UnixNano()) {
		c.opts.Logger.Warn("redis cache unavailable; serving without it", "op", op, "err", err, "retry_in", c.opts.Backoff)
	}
}

// Close stops the writer after it has drained the queue or ctx ends.
func (c *Cache) Close(ctx context.Context) error {
	if c.writes == nil {
		return nil
	}
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.writes)
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
