package rules_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/figcheck/figcheck/rules"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.bad.errors golden files")

// loadOne loads a single file of testdata through LoadFS, as the loader sees
// it in a rules directory of its own: positions read testdata/<name>.
func loadOne(t *testing.T, name string) (*rules.Ruleset, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return rules.LoadFS(fstest.MapFS{name: {Data: data}}, ".", "testdata")
}

func problemLines(err error) []string {
	var out []string
	for _, p := range rules.Problems(err) {
		out = append(out, p.Error())
	}
	return out
}

// TestBadFiles loads every testdata/*.bad.yaml and compares the problems
// with the lines of the sibling .bad.errors file: every problem of the file,
// in order, at once.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("found %d bad files, expected the whole table", len(files))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".bad.yaml"), func(t *testing.T) {
			rs, err := loadOne(t, name)
			if err == nil {
				t.Fatalf("loaded without error (%d forms)", len(rs.Forms))
			}
			if rs != nil {
				t.Errorf("a failed load returned a ruleset")
			}
			got := problemLines(err)
			golden := strings.TrimSuffix(path, ".yaml") + ".errors"
			if *update {
				if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("%v (run with -update to create it, then review it)", rerr)
			}
			want := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
			if !slices.Equal(got, want) {
				t.Errorf("problems differ\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
			// The error text is the same lines, joined.
			if err.Error() != strings.Join(want, "\n") {
				t.Errorf("Error() = %q, want the golden lines joined", err.Error())
			}
			assertSorted(t, err)
		})
	}
}

// assertSorted checks that the problems are *rules.Error values in file,
// line, column order.
func assertSorted(t *testing.T, err error) {
	t.Helper()
	var prev rules.Pos
	for i, p := range rules.Problems(err) {
		e, ok := p.(*rules.Error)
		if !ok {
			t.Fatalf("problem %d is %T, not *rules.Error", i, p)
		}
		if i > 0 && (e.Pos.File < prev.File || e.Pos.File == prev.File &&
			(e.Pos.Line < prev.Line || e.Pos.Line == prev.Line && e.Pos.Col < prev.Col)) {
			t.Errorf("problem %d (%s) is listed after %s", i, e.Pos, prev)
		}
		if e.Pos.Line < 1 || e.Pos.Col < 1 {
			t.Errorf("problem %d has no position: %s", i, e)
		}
		prev = e.Pos
	}
}

var _ = bytes.Equal
