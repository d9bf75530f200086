package decisionlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Fsync policies of a FileSink.
const (
	SyncAlways   = "always"   // fsync after every batch
	SyncInterval = "interval" // fsync at most every SyncEvery, and on Close
	SyncNever    = "never"    // leave it to the OS
)

// FileOptions configure a FileSink.
type FileOptions struct {
	// Path is the live file; rotated files are Path.<UTC time>.
	Path string
	// MaxBytes rotates the file before a write would make it larger
	// (default 64 MiB).
	MaxBytes int64
	// MaxBackups is how many rotated files are kept; 0 keeps all.
	MaxBackups int
	// Sync is the fsync policy (default SyncInterval).
	Sync string
	// SyncEvery is the interval of SyncInterval (default 1s).
	SyncEvery time.Duration
	// Registerer receives the sink's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// FileSink appends entries as JSON lines to a file rotated by size.
type FileSink struct {
	opts FileOptions

	mu       sync.Mutex
	f        *appendFile
	dirty    bool
	lastSync time.Time
	buf      []byte
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	torn prometheus.Counter
}

// NewFileSink opens (creating) the file at opts.Path for appending.
func NewFileSink(opts FileOptions) (*FileSink, error) {
	if opts.Path == "" {
		return nil, errors.New("decisionlog: file sink needs a path")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 64 << 20
	}
	switch opts.Sync {
	case "":
		opts.Sync = SyncInterval
	case SyncAlways, SyncInterval, SyncNever:
	default:
		return nil, fmt.Errorf("decisionlog: fsync policy %q: want always, interval or never", opts.Sync)
	}
	if opts.SyncEvery <= 0 {
		opts.SyncEvery = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o750); err != nil {
		return nil, fmt.Errorf("decisionlog: %w", err)
	}
	s := &FileSink{opts: opts, stop: make(chan struct{}), torn: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "figcheck_decision_log_torn_total",
		Help: "Unterminated last lines (writes cut short by a crash) moved aside to the .torn file when a log file was opened.",
	})}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(s.torn)
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	if opts.Sync == SyncInterval {
		s.wg.Add(1)
		go s.syncLoop()
	}
	return s, nil
}

// open opens the live file, moving a torn last line aside.
func (s *FileSink) open() error {
	f, torn, err := openAppend(s.opts.Path)
	if err != nil {
		return err
	}
	if torn {
		s.torn.Inc()
	}
	s.f = f
	return nil
}

func (s *FileSink) syncLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			if s.dirty && s.f != nil {
				if s.f.sync() == nil {
					s.dirty = false
				}
			}
			s.mu.Unlock()
		}
	}
}

// Write appends the batch, rotating first when it would not fit. A write
// that fails leaves the file as it was (appendFile), so that the retry's
// lines are whole.
func (s *FileSink) Write(_ context.Context, batch []Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	s.buf = s.buf[:0]
	for i := range batch {
		s.buf = append(appendEntry(s.buf, &batch[i]), '\n')
	}
	if s.f.size > 0 && s.f.size+int64(len(s.buf)) > s.opts.MaxBytes {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	if err := s.f.write(s.buf); err != nil {
		if errors.Is(err, errCutBack) {
			// Reopening moves the fragment aside before the retry.
			_ = s.f.close()
			s.f = nil
		}
		return err
	}
	s.dirty = true
	if s.opts.Sync == SyncAlways {
		if err := s.f.sync(); err != nil {
			return fmt.Errorf("decisionlog: fsync: %w", err)
		}
		s.dirty = false
	}
	return nil
}

// rotate renames the live file to Path.<UTC time> and opens a new one,
// then removes the oldest rotated files beyond MaxBackups.
func (s *FileSink) rotate() error {
	if err := s.f.sync(); err != nil {
		return fmt.Errorf("decisionlog: fsync before rotation: %w", err)
	}
	if err := s.f.close(); err != nil {
		return fmt.Errorf("decisionlog: %w", err)
	}
	s.f = nil
	name := s.opts.Path + "." + time.Now().UTC().Format("20060102T150405.000000000Z")
	for i := 1; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s.%s-%d", s.opts.Path, time.Now().UTC().Format("20060102T150405.000000000Z"), i)
	}
	if err := os.Rename(s.opts.Path, name); err != nil {
		return fmt.Errorf("decisionlog: rotate: %w", err)
	}
	if err := s.open(); err != nil {
		return err
	}
	if s.opts.MaxBackups > 0 {
		old := RotatedFiles(s.opts.Path)
		for len(old) > s.opts.MaxBackups {
			_ = os.Remove(old[0])
			old = old[1:]
		}
	}
	return nil
}

// Close syncs and closes the file.
func (s *FileSink) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := errors.Join(s.f.sync(), s.f.close())
	s.f = nil
	return err
}

// Entries reads the rotated files and the live file, oldest first. The
// live file is read up to what has been written in full, so that a line
// being written meanwhile is not taken for a torn one.
func (s *FileSink) Entries(_ context.Context, f Filter) ([]Entry, error) {
	s.mu.Lock()
	written := int64(-1)
	if s.f != nil {
		written = s.f.size
	}
	s.mu.Unlock()
	entries, _, err := readFiles(s.opts.Path, f, written)
	return entries, err
}

// RotatedFiles lists the rotated files of the log at path, oldest first.
func RotatedFiles(path string) []string {
	matches, _ := filepath.Glob(globEscape(path) + ".*")
	out := matches[:0]
	for _, m := range matches {
		if suffix := strings.TrimPrefix(m, path+"."); len(suffix) >= 16 && suffix[0] >= '0' && suffix[0] <= '9' {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

func globEscape(p string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(p)
}

// ReadFiles reads the log at path with its rotated files, oldest first,
// keeping the entries that match f and dropping repeated ids. Records it
// cannot read in full come back as entries with Unreadable set (what
// could be read of them, where they are, why), never skipped; the count
// is how many there are.
//
// The torn side file (TornSuffix) is read last; a fragment there of an
// entry that was written again in full is not reported.
func ReadFiles(path string, f Filter) ([]Entry, int, error) {
	return readFiles(path, f, -1)
}

// readFiles is ReadFiles reading at most live bytes of the live file
// (all of it when live < 0).
func readFiles(path string, f Filter, live int64) ([]Entry, int, error) {
	files := append(RotatedFiles(path), path, path+TornSuffix)
	seen := map[string]bool{}
	var out []Entry
	bad := 0
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return out, bad, fmt.Errorf("decisionlog: %w", err)
		}
		var r io.Reader = fh
		if name == path && live >= 0 {
			r = io.LimitReader(fh, live)
		}
		_, err = ReadJSONL(r, filepath.Base(name), func(e Entry) {
			if (e.ID != "" && seen[e.ID]) || !f.Match(&e) {
				return
			}
			if e.ID != "" && e.Unreadable == nil {
				seen[e.ID] = true
			}
			out = append(out, e)
		})
		fh.Close()
		if err != nil {
			return out, countUnread(out), fmt.Errorf("decisionlog: %s: %w", name, err)
		}
	}
	out = slices.DeleteFunc(out, func(e Entry) bool { return e.Unreadable != nil && e.ID != "" && seen[e.ID] })
	return out, countUnread(out), nil
}

func countUnread(entries []Entry) int {
	n := 0
	for i := range entries {
		if entries[i].Unreadable != nil {
			n++
		}
	}
	return n
}
