package decisionlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// spill is a local append-only file that holds entries the sink cannot
// take yet (it is down, or the queue is full), in the order they came,
// until the log replays them. The offset replayed so far is kept beside
// it (path + ".offset"), so that a restart does not resend everything; a
// lost offset only resends, which sinks absorb (Sink: Write is
// idempotent on the entry id).
type spill struct {
	path string

	mu   sync.Mutex
	f    *appendFile
	rd   int64 // bytes of f already replayed
	gen  int   // counts the times the file was emptied
	buf  []byte
	torn bool // opening found a torn last line

	pending atomic.Int64 // entries in the file not replayed yet
}

// openSpill opens the spill at path, counting what an earlier run left.
func openSpill(path string) (*spill, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("decisionlog: spill: %w", err)
	}
	f, torn, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	s := &spill{path: path, f: f, torn: torn}
	if b, err := os.ReadFile(path + ".offset"); err == nil {
		if off, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && off >= 0 && off <= f.size {
			s.rd = off
		}
	}
	n, err := countLines(path, s.rd)
	if err != nil {
		f.close()
		return nil, err
	}
	s.pending.Store(n)
	return s, nil
}

func countLines(path string, from int64) (int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("decisionlog: spill: %w", err)
	}
	defer fh.Close()
	if _, err := fh.Seek(from, io.SeekStart); err != nil {
		return 0, fmt.Errorf("decisionlog: spill: %w", err)
	}
	var n int64
	buf := make([]byte, 64<<10)
	for {
		k, err := fh.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("decisionlog: spill: %w", err)
		}
	}
}

// add appends entries; on error none of them is in the file.
func (s *spill) add(batch []Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = s.buf[:0]
	for i := range batch {
		s.buf = append(appendEntry(s.buf, &batch[i]), '\n')
	}
	if err := s.f.write(s.buf); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	s.pending.Add(int64(len(batch)))
	return nil
}

// mark is a place in the spill: everything added before it.
type mark struct {
	gen int
	off int64
}

// mark returns the place after what has been added so far.
func (s *spill) mark() mark {
	s.mu.Lock()
	defer s.mu.Unlock()
	return mark{s.gen, s.f.size}
}

// next reads up to n entries from the replay offset. It returns them, the
// offset after them and how many lines could not be decoded (skipped; the
// caller counts them as dropped).
func (s *spill) next(n int) ([]Entry, int64, int, error) {
	s.mu.Lock()
	from, to := s.rd, s.f.size
	s.mu.Unlock()
	if from >= to {
		return nil, from, 0, nil
	}
	fh, err := os.Open(s.path)
	if err != nil {
		return nil, from, 0, fmt.Errorf("decisionlog: spill: %w", err)
	}
	defer fh.Close()
	br := bufio.NewReaderSize(io.NewSectionReader(fh, from, to-from), 64<<10)
	var out []Entry
	bad := 0
	end := from
	for len(out) < n {
		line, _ := br.ReadBytes('\n')
		if len(line) == 0 || line[len(line)-1] != '\n' {
			break // the end, or a line still being written
		}
		end += int64(len(line))
		e, err := decodeLine(bytes.TrimSpace(line))
		if err != nil {
			bad++
			continue
		}
		out = append(out, e)
	}
	return out, end, bad, nil
}

// done records that the entries up to end were replayed (n of them).
// When that is everything, the file is emptied.
func (s *spill) done(end int64, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rd = end
	s.pending.Add(-int64(n))
	if s.rd >= s.f.size {
		if err := s.f.f.Truncate(0); err == nil {
			s.f.size, s.rd = 0, 0
			s.gen++
			s.pending.Store(0)
		}
	}
	_ = os.WriteFile(s.path+".offset", strconv.AppendInt(nil, s.rd, 10), 0o640)
}

// empty reports whether everything added has been replayed.
func (s *spill) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rd >= s.f.size
}

// replayed reports whether the replay has passed m.
func (s *spill) replayed(m mark) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen != m.gen || s.rd >= m.off
}

func (s *spill) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.f.sync(), s.f.close())
}
