package decisionlog

import (
	"context"
	"testing"
	"time"

	"github.com/figcheck/figcheck/internal/testredis"
	"github.com/redis/go-redis/v9"
)

func TestRedisSinkWritesEachEntryOnce(t *testing.T) {
	addr := testredis.Addr(t)
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()
	stream := "{" + testredis.Prefix(t) + "}decisions"
	ctx := context.Background()
	t.Cleanup(func() {
		keys, _ := client.Keys(ctx, stream+"*").Result()
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
	})
	sink, err := NewRedisSink(RedisOptions{Client: client, Stream: stream, MaxLen: 1000, SeenTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var batch []Entry
	for i := range 10 {
		e := entry(i)
		e.ID = NewID()
		batch = append(batch, e)
	}
	// A retried batch (its first reply lost) and an overlapping one.
	for _, b := range [][]Entry{batch[:6], batch[:6], batch} {
		if err := sink.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := client.XLen(ctx, stream).Result(); n != 10 {
		t.Fatalf("stream has %d entries, want 10", n)
	}
	got, bad, err := ReadStream(ctx, client, stream, Filter{})
	if err != nil || bad != 0 || len(got) != 10 {
		t.Fatalf("ReadStream: %d entries, %d bad, %v", len(got), bad, err)
	}
	for i, e := range got {
		if e.ID != batch[i].ID || e.CheckID != batch[i].CheckID {
			t.Fatalf("entry %d is %s, want %s", i, e.ID, batch[i].ID)
		}
	}
	if ttl, _ := client.TTL(ctx, stream+":seen:"+batch[0].ID).Result(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("seen marker ttl %v", ttl)
	}
}
