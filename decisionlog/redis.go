package decisionlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure a RedisSink.
type RedisOptions struct {
	Client redis.UniversalClient
	// Stream is the stream key (default "{figcheck}:decisions"). In a
	// Redis Cluster keep a {hash tag}: the per-entry marker keys
	// (Stream:seen:<id>) must live in the stream's slot.
	Stream string
	// MaxLen trims the stream to about this many entries (XADD MAXLEN ~;
	// default 1,000,000).
	MaxLen int64
	// SeenTTL is how long an entry's id is remembered so that a retried
	// write does not add it again (default 1h; retries come seconds apart).
	SeenTTL time.Duration
}

// RedisSink appends entries to a Redis stream, so that every replica
// writes one log. Each entry is added by a script that first sets a
// marker key for its id with SET NX: a batch retried after a lost reply
// adds only what is not there yet, so nothing is written twice.
type RedisSink struct {
	opts RedisOptions
	buf  []byte // the batch's documents, reused
}

// DefaultStream is the default stream key.
const DefaultStream = "{figcheck}:decisions"

// NewRedisSink writes to opts.Client; it does not close the client.
func NewRedisSink(opts RedisOptions) (*RedisSink, error) {
	if opts.Client == nil {
		return nil, errors.New("decisionlog: redis sink needs a client")
	}
	if opts.Stream == "" {
		opts.Stream = DefaultStream
	}
	if opts.MaxLen <= 0 {
		opts.MaxLen = 1_000_000
	}
	if opts.SeenTTL <= 0 {
		opts.SeenTTL = time.Hour
	}
	return &RedisSink{opts: opts}, nil
}

// appendScript: KEYS[1] the stream, KEYS[i+1] the marker of entry i;
// ARGV[1] MAXLEN, ARGV[2] marker TTL in seconds, then id, json per entry.
var appendScript = redis.NewScript(`
local added = 0
for i = 2, #KEYS do
  local id, doc = ARGV[2*i - 1], ARGV[2*i]
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[2]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'id', id, 'entry', doc)
    added = added + 1
  end
end
return added
`)

// Write adds the batch in one script call.
func (s *RedisSink) Write(ctx context.Context, batch []Entry) error {
	keys := make([]string, 0, len(batch)+1)
	args := make([]any, 0, 2*len(batch)+2)
	keys = append(keys, s.opts.Stream)
	args = append(args, strconv.FormatInt(s.opts.MaxLen, 10), strconv.FormatInt(int64(s.opts.SeenTTL/time.Second), 10))
	ends := make([]int, len(batch))
	s.buf = s.buf[:0]
	for i := range batch {
		s.buf = appendEntry(s.buf, &batch[i])
		ends[i] = len(s.buf)
	}
	start := 0
	for i := range batch {
		doc := s.buf[start:ends[i]]
		start = ends[i]
		keys = append(keys, s.opts.Stream+":seen:"+batch[i].ID)
		args = append(args, batch[i].ID, doc)
	}
	if err := appendScript.Run(ctx, s.opts.Client, keys, args...).Err(); err != nil {
		return fmt.Errorf("decisionlog: redis: %w", err)
	}
	return nil
}

// Close does nothing: the client belongs to the caller.
func (s *RedisSink) Close() error { return nil }

// Entries reads the stream from the start, oldest first.
func (s *RedisSink) Entries(ctx context.Context, f Filter) ([]Entry, error) {
	entries, _, err := ReadStream(ctx, s.opts.Client, s.opts.Stream, f)
	return entries, err
}

// ReadStream reads a decision stream oldest first, keeping the entries
// that match f and dropping repeated ids. Stream entries it cannot read
// come back with Unreadable set, as ReadFiles returns them; the count is
// how many.
func ReadStream(ctx context.Context, c redis.UniversalClient, stream string, f Filter) ([]Entry, int, error) {
	const page = 1000
	var out []Entry
	seen := map[string]bool{}
	bad := 0
	start := "-"
	for {
		msgs, err := c.XRangeN(ctx, stream, start, "+", page).Result()
		if err != nil {
			return out, bad, fmt.Errorf("decisionlog: redis: %w", err)
		}
		for _, m := range msgs {
			doc, _ := m.Values["entry"].(string)
			e, err := Entry{}, errNotObject
			if doc != "" {
				e, err = decodeLine([]byte(doc))
			}
			if err != nil {
				bad++
				e = unreadable([]byte(doc), stream+" "+m.ID, err)
			}
			if (e.ID != "" && seen[e.ID]) || !f.Match(&e) {
				continue
			}
			if e.ID != "" {
				seen[e.ID] = true
			}
			out = append(out, e)
		}
		if len(msgs) < page {
			return out, bad, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}
