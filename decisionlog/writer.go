package decisionlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// WriterSink writes entries as JSON lines to an io.Writer such as
// os.Stdout. It cannot read them back.
type WriterSink struct {
	mu  sync.Mutex
	w   io.Writer
	buf bytes.Buffer
}

// NewWriterSink writes to w.
func NewWriterSink(w io.Writer) *WriterSink { return &WriterSink{w: w} }

// Write writes the batch in one call to the writer.
func (s *WriterSink) Write(_ context.Context, batch []Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Reset()
	enc := json.NewEncoder(&s.buf)
	enc.SetEscapeHTML(false)
	for i := range batch {
		if err := enc.Encode(&batch[i]); err != nil {
			return fmt.Errorf("decisionlog: encode entry: %w", err)
		}
	}
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		return fmt.Errorf("decisionlog: %w", err)
	}
	return nil
}

// Close does nothing: the writer belongs to the caller.
func (s *WriterSink) Close() error { return nil }
