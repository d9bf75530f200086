package decisionlog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// shortFile writes half of every third write and fails it, as a full disk
// does.
type shortFile struct {
	file
	n *atomic.Int64
}

func (f shortFile) Write(b []byte) (int, error) {
	if f.n.Add(1)%3 == 0 {
		n, _ := f.file.Write(b[:len(b)/2])
		return n, syscall.ENOSPC
	}
	return f.file.Write(b)
}

func TestShortWritesAreCutBack(t *testing.T) {
	var n atomic.Int64
	real := openFile
	openFile = func(name string) (file, error) {
		f, err := real(name)
		if err != nil {
			return nil, err
		}
		return shortFile{f, &n}, nil
	}
	t.Cleanup(func() { openFile = real })
	path := filepath.Join(t.TempDir(), "d.jsonl")
	sink, err := NewFileSink(FileOptions{Path: path, Sync: SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	l := mustNew(t, Options{Sink: sink, BatchSize: 4, Backoff: time.Millisecond})
	const total = 200
	for i := range total {
		if !l.Log(entry(i)) {
			t.Fatal("dropped")
		}
		if i%7 == 0 {
			_ = l.Flush(t.Context())
		}
	}
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	got, bad, err := ReadFiles(path, Filter{})
	if err != nil || bad != 0 || len(got) != total || st.Written != total || st.Errors == 0 {
		t.Fatalf("written %d (errors %d), read %d with %d unreadable, %v", st.Written, st.Errors, len(got), bad, err)
	}
}

func TestOpeningRepairsATornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	s, _ := NewFileSink(FileOptions{Path: path, Sync: SyncNever})
	e := entry(1)
	e.ID = "whole"
	if err := s.Write(t.Context(), []Entry{e}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	frag := `{"id":"cut","check_id":"c","time":"2026-07-01T00:00:00Z","source":"check","form":"f","unit":"u","period":"p","verdict":"fail","violated":[],"figu`
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(frag)
	f.Close()

	reg := prometheus.NewRegistry()
	s, err := NewFileSink(FileOptions{Path: path, Sync: SyncNever, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	e.ID = "next"
	if err := s.Write(t.Context(), []Entry{e}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if got := gathered(t, reg, "figcheck_decision_log_torn_total"); got != 1 {
		t.Fatalf("torn_total %v", got)
	}
	side, _ := os.ReadFile(path + TornSuffix)
	if string(side) != frag+"\n" {
		t.Fatalf("side file %q", side)
	}
	got, bad, err := ReadFiles(path, Filter{})
	if err != nil || len(got) != 3 || bad != 1 || got[0].ID != "whole" || got[1].ID != "next" {
		t.Fatalf("read %v, %d unreadable, %v", got, bad, err)
	}
	if u := got[2]; u.ID != "cut" || u.Verdict != "fail" || u.Unreadable.Where != "d.jsonl.torn:1" {
		t.Fatalf("the torn attempt: %+v %+v", u, u.Unreadable)
	}
}

// TestFullDiskOnTmpfs fills a small tmpfs: what the log counts as
// written is exactly what a reader returns, and nothing is unreadable.
func TestFullDiskOnTmpfs(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=48k"); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	path := filepath.Join(dir, "d.jsonl")
	sink, err := NewFileSink(FileOptions{Path: path, Sync: SyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	l := mustNew(t, Options{Sink: sink, BatchSize: 8, Backoff: time.Millisecond, MaxAttempts: 2})
	for i := range 600 {
		e := entry(i)
		e.Figures = map[string]any{"note": strings.Repeat("x", 100)}
		l.Log(e)
		if i%5 == 0 {
			_ = l.Flush(t.Context())
		}
	}
	_ = l.Close(t.Context())
	st := l.Stats()
	got, bad, err := ReadFiles(path, Filter{})
	if err != nil || bad != 0 || uint64(len(got)) != st.Written || st.Errors == 0 {
		t.Fatalf("written %d (errors %d, dropped %v), read %d with %d unreadable, %v", st.Written, st.Errors, st.Dropped, len(got), bad, err)
	}
}

// TestKill9 kills a child that is writing the log, many times over, and
// reopens the log each time: every entry the child was told is written
// is read back, and no record is unreadable.
func TestKill9(t *testing.T) {
	if os.Getenv("FIGCHECK_KILL9_CHILD") != "" {
		kill9Child()
		return
	}
	if testing.Short() {
		t.Skip("-short")
	}
	path := filepath.Join(t.TempDir(), "d.jsonl")
	acked, torn := 0, 0
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
		cmd.Env = append(os.Environ(), "FIGCHECK_KILL9_CHILD="+path, "FIGCHECK_KILL9_ROUND="+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		last := 0
		deadline := time.Now().Add(time.Duration(50+round*40) * time.Millisecond)
		for sc.Scan() {
			last, _ = strconv.Atoi(sc.Text())
			if time.Now().After(deadline) {
				break
			}
		}
		_ = cmd.Process.Kill() // SIGKILL
		_ = cmd.Wait()
		acked += last
		// Opening the log, as the next run does, moves a torn tail aside.
		reg := prometheus.NewRegistry()
		s, err := NewFileSink(FileOptions{Path: path, Sync: SyncNever, MaxBytes: 4 << 20, Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		torn += int(gathered(t, reg, "figcheck_decision_log_torn_total"))
		got, bad, err := ReadFiles(path, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		// Only torn tails are unreadable, each a batch that was never
		// acknowledged, and every acknowledged entry is read back.
		for _, e := range got {
			if e.Unreadable != nil && !strings.HasPrefix(e.Unreadable.Where, filepath.Base(path)+TornSuffix+":") {
				t.Fatalf("round %d: unreadable %+v", round, e.Unreadable)
			}
		}
		if len(got)-bad < acked || bad != torn {
			t.Fatalf("round %d: %d entries acknowledged, %d read back, %d unreadable, %d torn tails", round, acked, len(got)-bad, bad, torn)
		}
		acked = len(got) - bad // the unacknowledged batch may have landed too
	}
	t.Logf("%d entries, %d torn tails moved aside", acked, torn)
}

// kill9Child writes batches until killed, printing the entries written
// so far after each Write returns.
func kill9Child() {
	path := os.Getenv("FIGCHECK_KILL9_CHILD")
	s, err := NewFileSink(FileOptions{Path: path, Sync: SyncNever, MaxBytes: 4 << 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	n := 0
	for i := 0; ; i++ {
		batch := make([]Entry, 2048) // about 1 MB a write: a kill can land inside one
		for j := range batch {
			batch[j] = entry(i*2048 + j)
			batch[j].ID = NewID()
			batch[j].Figures = map[string]any{"round": os.Getenv("FIGCHECK_KILL9_ROUND"), "pad": strings.Repeat("y", 200)}
		}
		if err := s.Write(context.Background(), batch); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		n += len(batch)
		fmt.Println(n)
	}
}

// TestReadingWhileWriting: a reader of a live log never takes the line
// being written for an unreadable one.
func TestReadingWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	s, err := NewFileSink(FileOptions{Path: path, Sync: SyncNever, MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			batch := make([]Entry, 50)
			for j := range batch {
				batch[j] = entry(i*50 + j)
				batch[j].ID = NewID()
				batch[j].Figures = map[string]any{"pad": strings.Repeat("z", 200)}
			}
			if err := s.Write(t.Context(), batch); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		got, err := s.Entries(t.Context(), Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range got {
			if e.Unreadable != nil {
				t.Fatalf("a line being written read as unreadable: %+v", e.Unreadable)
			}
		}
	}
}
