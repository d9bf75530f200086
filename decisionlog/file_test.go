package decisionlog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileSinkRotatesBySizeAndReadsBackInOrder(t *testing.T) {
	for _, policy := range []string{SyncAlways, SyncInterval, SyncNever} {
		t.Run(policy, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "decisions.jsonl")
			s, err := NewFileSink(FileOptions{Path: path, MaxBytes: 2000, Sync: policy, SyncEvery: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			base := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
			const n = 60
			for i := 0; i < n; i += 3 {
				batch := []Entry{}
				for j := i; j < i+3; j++ {
					e := entry(j)
					e.ID, e.Time = NewID(), base.Add(time.Duration(j)*time.Second)
					batch = append(batch, e)
				}
				if err := s.Write(context.Background(), batch); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rotated := RotatedFiles(path)
			if len(rotated) < 3 {
				t.Fatalf("%d rotated files, want several for %d entries at 2000 bytes", len(rotated), n)
			}
			for _, f := range append(rotated, path) {
				st, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				if st.Size() > 2000 {
					t.Fatalf("%s is %d bytes, over the limit", f, st.Size())
				}
			}
			got, bad, err := ReadFiles(path, Filter{})
			if err != nil || bad != 0 {
				t.Fatalf("ReadFiles: %v, %d bad", err, bad)
			}
			if len(got) != n {
				t.Fatalf("read %d entries, want %d", len(got), n)
			}
			for i, e := range got {
				if !e.Time.Equal(base.Add(time.Duration(i) * time.Second)) {
					t.Fatalf("entry %d out of order: %v", i, e.Time)
				}
			}
		})
	}
}

func TestFileSinkKeepsMaxBackups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	s, err := NewFileSink(FileOptions{Path: path, MaxBytes: 500, MaxBackups: 2, Sync: SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		e := entry(i)
		e.ID = NewID()
		if err := s.Write(context.Background(), []Entry{e}); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	if got := RotatedFiles(path); len(got) != 2 {
		t.Fatalf("%d rotated files kept, want 2: %v", len(got), got)
	}
}

func TestReadFilesDropsRepeatsAndBadLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	e := `{"id":"a1","form":"f","unit":"u","period":"p","time":"2026-07-01T00:00:00Z","verdict":"fail"}`
	other := `{"id":"a2","form":"f","unit":"v","period":"p","time":"2026-07-01T00:00:01Z","verdict":"pass"}`
	data := strings.Join([]string{e, e, "", "not json", `{"id":"","form":"f"}`, other, `{"id":"a3","form":"f","time":"2026`}, "\n")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	got, bad, err := ReadFiles(path, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	// The bad lines come back where they are, marked, never skipped.
	var ids, where []string
	for _, e := range got {
		ids = append(ids, e.ID)
		if e.Unreadable != nil {
			where = append(where, e.Unreadable.Where)
		}
	}
	if strings.Join(ids, ",") != "a1,,,a2,a3" || bad != 3 || strings.Join(where, ",") != "d.jsonl:4,d.jsonl:5,d.jsonl:7" {
		t.Fatalf("got ids %q (unreadable at %v), %d bad", ids, where, bad)
	}
	if u := got[4]; u.Form != "f" || !u.Time.IsZero() || u.Unreadable.Bytes != int64(len(`{"id":"a3","form":"f","time":"2026`)) {
		t.Fatalf("salvaged %+v %+v", u, u.Unreadable)
	}
	got, _, _ = ReadFiles(path, Filter{Unit: "v"})
	if len(got) != 4 || got[2].ID != "a2" {
		t.Fatalf("filter: %v", got)
	}
}

func TestReadJSONLReportsOverlongLines(t *testing.T) {
	long := `{"id":"x","check_id":"c","time":"2026-07-01T00:00:00Z","source":"check","form":"f","unit":"u","period":"p","verdict":"fail",` +
		`"violated":[{"rule":"r","severity":"error","fields":["a"]}],"figures":{"junk":"` + strings.Repeat("a", MaxLine) + "\"}}\n"
	ok := `{"id":"y","form":"f","time":"2026-07-01T00:00:00Z"}` + "\n"
	var got []Entry
	bad, err := ReadJSONL(strings.NewReader(long+ok), "d", func(e Entry) { got = append(got, e) })
	if err != nil || bad != 1 || len(got) != 2 || got[1].ID != "y" {
		t.Fatalf("bad %d err %v got %v", bad, err, got)
	}
	x := got[0]
	if x.Unreadable == nil || x.Unreadable.Bytes != int64(len(long)) || x.Unreadable.Where != "d:1" {
		t.Fatalf("over-long line: %+v", x.Unreadable)
	}
	if x.ID != "x" || x.Unit != "u" || x.Verdict != "fail" || len(x.Violated) != 1 || x.Violated[0].Fields[0] != "a" || x.Time.IsZero() {
		t.Fatalf("the fields before the figures were not read: %+v", x)
	}
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(`{"id":"a","form":"f","time":"2026-07-01T00:00:00Z","figures":{"x":1}}` + "\n"))
	f.Add([]byte("{}\n\n{\"id\":1}\n"))
	f.Add([]byte(`{"id":"a","form":"f","time":"2026-07-01T00:00:00Z","violated":[{"rule":"r","fields":["x"]}]}`))
	if seed, err := os.ReadFile("testdata/history.jsonl"); err == nil {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		n := 0
		var entries []Entry
		bad, err := ReadJSONL(bytes.NewReader(data), "fuzz", func(e Entry) {
			if e.Unreadable != nil {
				return
			}
			n++
			entries = append(entries, e)
			if e.ID == "" || e.Form == "" || e.Time.IsZero() || e.Violated == nil {
				t.Fatalf("accepted an entry without id, form or time: %+v", e)
			}
		})
		if err != nil {
			t.Fatalf("read error from memory: %v", err)
		}
		if n+bad > lines {
			t.Fatalf("%d entries + %d bad from %d lines", n, bad, lines)
		}
		ids := map[string]bool{}
		for _, e := range entries {
			ids[e.ID] = true
		}
		attempts := 0
		for _, s := range History(entries) {
			attempts += len(s.Attempts)
		}
		if attempts != len(ids) {
			t.Fatalf("history has %d attempts for %d distinct entries", attempts, len(ids))
		}
	})
}
