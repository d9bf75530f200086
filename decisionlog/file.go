package decisionlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
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
}

// FileSink appends entries as JSON lines to a file rotated by size.
type FileSink struct {
	opts FileOptions

	mu       sync.Mutex
	f        *os.File
	size     int64
	dirty    bool
	lastSync time.Time
	buf      []byte
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
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
	s := &FileSink{opts: opts, stop: make(chan struct{})}
	if err := s.open(); err != nil {
		return nil, err
	}
	if opts.Sync == SyncInterval {
		s.wg.Add(1)
		go s.syncLoop()
	}
	return s, nil
}

func (s *FileSink) open() error {
	f, err := os.OpenFile(s.opts.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("decisionlog: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("decisionlog: %w", err)
	}
	s.f, s.size = f, st.Size()
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
				if s.f.Sync() == nil {
					s.dirty = false
				}
			}
			s.mu.Unlock()
		}
	}
}

// Write appends the batch, rotating first when it would not fit.
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
	if s.size > 0 && s.size+int64(len(s.buf)) > s.opts.MaxBytes {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	n, err := s.f.Write(s.buf)
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("decisionlog: %w", err)
	}
	s.dirty = true
	if s.opts.Sync == SyncAlways {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("decisionlog: fsync: %w", err)
		}
		s.dirty = false
	}
	return nil
}

// rotate renames the live file to Path.<UTC time> and opens a new one,
// then removes the oldest rotated files beyond MaxBackups.
func (s *FileSink) rotate() error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("decisionlog: fsync before rotation: %w", err)
	}
	if err := s.f.Close(); err != nil {
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
	err := errors.Join(s.f.Sync(), s.f.Close())
	s.f = nil
	return err
}

// Entries reads the rotated files and the live file, oldest first.
func (s *FileSink) Entries(_ context.Context, f Filter) ([]Entry, error) {
	entries, _, err := ReadFiles(s.opts.Path, f)
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
func ReadFiles(path string, f Filter) ([]Entry, int, error) {
	files := append(RotatedFiles(path), path)
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
		n, err := ReadJSONL(fh, filepath.Base(name), func(e Entry) {
			if (e.ID != "" && seen[e.ID]) || !f.Match(&e) {
				return
			}
			if e.ID != "" {
				seen[e.ID] = true
			}
			out = append(out, e)
		})
		fh.Close()
		bad += n
		if err != nil {
			return out, bad, fmt.Errorf("decisionlog: %s: %w", name, err)
		}
	}
	return out, bad, nil
}
