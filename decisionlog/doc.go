// Package decisionlog records every check figcheck answers — what was
// submitted, what the check said and who asked — and reads the record back
// as each unit's attempt history.
//
// A Log queues entries in memory and writes them from one goroutine to a
// Sink: a JSONL file rotated by size (FileSink), a Redis stream (RedisSink)
// or any io.Writer (WriterSink). Logging never blocks the caller: a full
// queue drops the entry, a failing sink is retried with backoff, and both
// are counted. Close flushes what is queued.
package decisionlog
