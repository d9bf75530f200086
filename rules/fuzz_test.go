package rules_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

// FuzzParse: Parse never panics, whatever the bytes; it returns a File,
// positioned problems, or both (the File with what could be read); and any
// File it returns compiles without panicking, into either a Ruleset or
// positioned problems.
//
// The seed corpus is every form file under testdata, plus a few shapes of
// YAML the form files do not use.
func FuzzParse(f *testing.F) {
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			f.Add(data)
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"", "---", "~", "[]", "{}", "form: x", "# only a comment\n", "form: &a x\ntitle: *a\n",
		"form: demo\nindicators:\n  - &i {id: a, name: 甲, type: integer}\nrules:\n  - {id: r, name: n, severity: error, expr: a > 0, message: \"{{a}}\", tests: [{figures: *i, expect: pass}]}\n",
		"form: demo\nindicators: [{id: a, name: 甲, type: percent, min: 1e400}]\n",
		"\xef\xbb\xbfform: demo\n", "form: \xff\n", "a: !!binary aGVsbG8=\n", "%YAML 1.1\n---\nform: x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, perr := rulefmt.Parse("fuzz.yaml", data)
		if perr != nil {
			checkProblems(t, perr)
		}
		if file == nil {
			if perr == nil {
				t.Fatal("Parse returned neither a File nor an error")
			}
			return
		}
		// A File that came with problems is compiled too (that is how one
		// load reports everything), and must not make the compiler panic.
		rs, err := rules.Compile([]*rulefmt.File{file})
		if err != nil {
			if rs != nil {
				t.Fatal("Compile returned a Ruleset and an error")
			}
			checkProblems(t, err)
			return
		}
		if perr != nil {
			return // the loader reports the parse problems with what compiled
		}
		if _, ok := rs.Form(file.Form); !ok {
			t.Fatalf("compiled ruleset lacks form %q", file.Form)
		}
	})
}

func checkProblems(t *testing.T, err error) {
	t.Helper()
	var l rules.ErrorList
	if !errors.As(err, &l) || len(l) == 0 {
		t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
	}
	for _, e := range l {
		if e.Pos.File != "fuzz.yaml" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Msg == "" {
			t.Fatalf("problem without a proper position or message: %#v", e)
		}
	}
}
