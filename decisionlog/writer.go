package decisionlog

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// WriterSink writes entries as JSON lines to an io.Writer such as
// os.Stdout. It cannot read them back.
type WriterSink struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriterSink writes to w.
func NewWriterSink(w io.Writer) *WriterSink { return &WriterSink{w: w} }

// Write writes the batch in one call to the writer.
func (s *WriterSink) Write(_ context.Context, batch []Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = s.buf[:0]
	for i := range batch {
		s.buf = append(appendEntry(s.buf, &batch[i]), '\n')
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("decisionlog: %w", err)
	}
	return nil
}

// Close does nothing: the writer belongs to the caller.
func (s *WriterSink) Close() error { return nil }
