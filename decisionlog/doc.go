// Package decisionlog records every check figcheck answers — what was
// submitted, what the check said and who asked — and reads the record back
// as each unit's attempt history.
//
// A Log queues entries in memory, bounds each one (Limits: what a client
// sent beyond them is summarised, never dropped) and writes them from one
// goroutine to a Sink: a JSONL file rotated by size (FileSink), a Redis
// stream (RedisSink) or any io.Writer (WriterSink). Logging never blocks
// the caller on the sink: with a spill file, entries the queue or the sink
// cannot take wait there and are replayed in order, so only a full spill
// disk drops one; every count is a metric. Files are appended so that a
// failed or interrupted write never leaves a torn line behind a whole one,
// and readers return what they cannot read as unreadable entries instead
// of skipping it. Close flushes what is queued.
package decisionlog
