package rules_test

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/figcheck/figcheck/checker"
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

// TestBadFiles loads every testdata/*.bad.yaml and compares the problems with
// the lines of the sibling .bad.errors file: every problem of the file, in
// file order, from one load.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 19 {
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
				t.Fatalf("%v (run with -update to create it, then review it line by line)", rerr)
			}
			want := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
			if !slices.Equal(got, want) {
				t.Errorf("problems differ\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
			if err.Error() != strings.Join(want, "\n") {
				t.Errorf("Error() is not the problems joined by newlines:\n%s", err)
			}
			assertSorted(t, err)
			for _, p := range rules.Problems(err) {
				var e *rules.Error
				if errors.As(p, &e) && e.Pos.File != "testdata/"+name {
					t.Errorf("problem in file %q, want testdata/%s", e.Pos.File, name)
				}
			}
		})
	}
}

// assertSorted checks that the problems are *rules.Error values with a
// position, in file, line, column order.
func assertSorted(t *testing.T, err error) {
	t.Helper()
	var prev rules.Pos
	for i, p := range rules.Problems(err) {
		e, ok := p.(*rules.Error)
		if !ok {
			t.Fatalf("problem %d is %T, not *rules.Error", i, p)
		}
		if e.Pos.File == "" || e.Pos.Line < 1 || e.Pos.Col < 1 {
			t.Errorf("problem %d has no position: %s", i, e)
		}
		if i > 0 && (e.Pos.File < prev.File || e.Pos.File == prev.File &&
			(e.Pos.Line < prev.Line || e.Pos.Line == prev.Line && e.Pos.Col < prev.Col)) {
			t.Errorf("problem %d (%s) is listed after %s", i, e.Pos, prev)
		}
		prev = e.Pos
	}
}

// TestBadFilesReportEverything guards the point of the table: the files
// with several mistakes get every one of them from a single load.
func TestBadFilesReportEverything(t *testing.T) {
	for name, min := range map[string]int{
		"unknown_keys.bad.yaml": 4, "missing_keys.bad.yaml": 9, "enums.bad.yaml": 6,
		"expr_names.bad.yaml": 5, "template.bad.yaml": 5, "order.bad.yaml": 4,
	} {
		_, err := loadOne(t, name)
		if n := len(rules.Problems(err)); n < min {
			t.Errorf("%s: %d problems reported, want at least %d: %v", name, n, min, err)
		}
	}
}

func TestGoodFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d good files", len(files))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".good.yaml"), func(t *testing.T) {
			rs, err := loadOne(t, name)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if len(rs.Forms) != 1 || !slices.Equal(rs.Files, []string{"testdata/" + name}) {
				t.Fatalf("forms %v, files %v", rs.FormIDs(), rs.Files)
			}
			for _, f := range rs.Forms {
				if len(f.Indicators) == 0 || len(f.Rules) == 0 {
					t.Errorf("form %s: %d indicators, %d rules", f.ID, len(f.Indicators), len(f.Rules))
				}
				for i, ind := range f.Indicators {
					if ind.Index != i {
						t.Errorf("indicator %s has Index %d at position %d", ind.ID, ind.Index, i)
					}
				}
				for _, r := range f.Rules {
					if r.Cond == nil || r.Message == nil || len(r.Uses)+len(r.UsesPrevious) == 0 {
						t.Errorf("rule %s: not fully compiled: %+v", r.ID, r)
					}
					if (r.When == "") != (r.WhenCond == nil) {
						t.Errorf("rule %s: when %q but WhenCond %v", r.ID, r.When, r.WhenCond)
					}
					if len(r.Tests) == 0 {
						t.Errorf("rule %s has no tests", r.ID)
					}
				}
				// The good files' own rule tests pass.
				var c checker.Checker
				for _, tr := range c.RunTests(f) {
					if !tr.OK() {
						t.Error(tr)
					}
				}
			}
		})
	}
}

func ids(inds []*rules.Indicator) []string {
	out := []string{}
	for _, ind := range inds {
		out = append(out, ind.ID)
	}
	return out
}

func TestBasicCompiled(t *testing.T) {
	rs, err := loadOne(t, "basic.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.FormIDs(); !slices.Equal(got, []string{"sports_demo"}) {
		t.Fatalf("FormIDs = %v", got)
	}
	f, ok := rs.Form("sports_demo")
	if !ok {
		t.Fatal("Form(sports_demo) not found")
	}
	if _, ok := rs.Form("nope"); ok {
		t.Error("Form(nope) found")
	}
	if f.Title != "体育测试表" {
		t.Errorf("Title = %q", f.Title)
	}
	if got := ids(f.Indicators); !slices.Equal(got, []string{"events_entered", "gold_medals", "pass_rate", "pass_rate_delta", "spend"}) {
		t.Errorf("indicators = %v", got)
	}

	t.Run("indicators", func(t *testing.T) {
		for _, tc := range []struct {
			key, id  string
			typ      rules.Type
			required bool
			min, max *float64
			unit     string
		}{
			{"events_entered", "events_entered", rules.Integer, true, ptr(0), nil, "项"},
			{"金牌数", "gold_medals", rules.Integer, true, ptr(0), nil, "枚"},
			{"本科上线率", "pass_rate", rules.Percent, false, ptr(0), ptr(100), "%"},
			{"pass_rate_delta", "pass_rate_delta", rules.Number, false, ptr(-100), ptr(100), "个百分点"},
			{"专项资金", "spend", rules.Number, false, ptr(0), nil, "万元"},
		} {
			ind, ok := f.Indicator(tc.key)
			if !ok {
				t.Errorf("Indicator(%q) not found", tc.key)
				continue
			}
			if ind.ID != tc.id || ind.Type != tc.typ || ind.Required != tc.required || ind.Unit != tc.unit ||
				!eqPtr(ind.Min, tc.min) || !eqPtr(ind.Max, tc.max) || ind.PrevKey != "previous."+tc.id {
				t.Errorf("Indicator(%q) = %+v", tc.key, ind)
			}
		}
		if _, ok := f.Indicator("金牌"); ok {
			t.Error("Indicator(金牌) found a prefix of a name")
		}
		if ind, _ := f.Indicator("gold_medals"); ind.Pos.Line != 5 || ind.Pos.Col != 5 || ind.Pos.File != "testdata/basic.good.yaml" {
			t.Errorf("gold_medals.Pos = %v", ind.Pos)
		}
	})

	t.Run("rules", func(t *testing.T) {
		for _, tc := range []struct {
			id       string
			severity rules.Severity
			uses     []string
			prev     []string
			when     bool
			tests    int
		}{
			{"sport.gold_le_events", rules.SevError, []string{"events_entered", "gold_medals"}, []string{}, false, 3},
			{"edu.delta", rules.SevError, []string{"pass_rate", "pass_rate_delta"}, []string{"pass_rate"}, false, 3},
			// spend_per_event reads events_entered in when and spend only in expr
			{"sport.spend_per_event", rules.SevWarning, []string{"events_entered", "spend"}, []string{}, true, 3},
		} {
			r, ok := f.Rule(tc.id)
			if !ok {
				t.Errorf("Rule(%q) not found", tc.id)
				continue
			}
			if r.Severity != tc.severity || (r.WhenCond != nil) != tc.when || len(r.Tests) != tc.tests {
				t.Errorf("rule %s: severity %v, when %v, %d tests", tc.id, r.Severity, r.WhenCond != nil, len(r.Tests))
			}
			if got := ids(r.Uses); !slices.Equal(got, tc.uses) {
				t.Errorf("rule %s: Uses = %v, want %v", tc.id, got, tc.uses)
			}
			if got := ids(r.UsesPrevious); !slices.Equal(got, tc.prev) {
				t.Errorf("rule %s: UsesPrevious = %v, want %v", tc.id, got, tc.prev)
			}
		}
		if got := ruleIDs(f); !slices.Equal(got, []string{"sport.gold_le_events", "edu.delta", "sport.spend_per_event"}) {
			t.Errorf("rules in file order = %v", got)
		}
		if _, ok := f.Rule("builtin.range"); ok {
			t.Error("Rule(builtin.range) found")
		}
	})

	t.Run("tests", func(t *testing.T) {
		r, _ := f.Rule("sport.gold_le_events")
		// Chinese names in figures are resolved to ids.
		want := []struct {
			name    string
			figures map[string]any
			expect  rules.Expect
		}{
			{"ok", map[string]any{"gold_medals": 2.0, "events_entered": 3.0}, rules.ExpectPass},
			{"bad", map[string]any{"gold_medals": 4.0, "events_entered": 3.0}, rules.ExpectFail},
			{"missing", map[string]any{"gold_medals": 2.0}, rules.ExpectSkip},
		}
		for i, w := range want {
			got := r.Tests[i]
			if got.Name != w.name || got.Expect != w.expect || !sameMap(got.Figures, w.figures) || len(got.Previous) != 0 {
				t.Errorf("test %d = %+v, want %+v", i, got, w)
			}
		}
		d, _ := f.Rule("edu.delta")
		if d.Tests[0].Name != "line 25" {
			t.Errorf("unnamed test is called %q, want its line", d.Tests[0].Name)
		}
		if !sameMap(d.Tests[0].Previous, map[string]any{"pass_rate": 78.0}) {
			t.Errorf("previous = %v", d.Tests[0].Previous)
		}
	})
}

func ptr(v float64) *float64 { return &v }

func eqPtr(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func sameMap(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func ruleIDs(f *rules.Form) []string {
	var out []string
	for _, r := range f.Rules {
		out = append(out, r.ID)
	}
	return out
}

func TestSplitForm(t *testing.T) {
	rs, err := rules.LoadDir("testdata/split")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rs.FormIDs(), []string{"split_demo"}) {
		t.Fatalf("forms = %v", rs.FormIDs())
	}
	wantFiles := []string{"testdata/split/00_indicators.yaml", "testdata/split/10_rules.yaml"}
	if !slices.Equal(rs.Files, wantFiles) {
		t.Errorf("Files = %v, want %v", rs.Files, wantFiles)
	}
	f := rs.Forms["split_demo"]
	if f.Title != "拆分表" {
		t.Errorf("Title = %q", f.Title)
	}
	if got := ids(f.Indicators); !slices.Equal(got, []string{"schools", "new_schools", "teachers"}) {
		t.Errorf("indicators = %v (want file order, then order in file)", got)
	}
	for i, ind := range f.Indicators {
		if ind.Index != i {
			t.Errorf("%s.Index = %d, want %d", ind.ID, ind.Index, i)
		}
	}
	if ind, _ := f.Indicator("教师数"); ind.Pos.File != wantFiles[1] {
		t.Errorf("teachers defined at %v", ind.Pos)
	}
	r, ok := f.Rule("edu.teachers_per_school")
	if !ok {
		t.Fatal("rule of the second file missing")
	}
	// The rule reads figures of both files.
	if got := ids(r.Uses); !slices.Equal(got, []string{"schools", "teachers"}) {
		t.Errorf("Uses = %v", got)
	}

	// The same files in another directory: same form digest, since the
	// digest is over content.
	fsys := fstest.MapFS{}
	for _, p := range wantFiles {
		data, _ := os.ReadFile(p)
		fsys["forms/"+filepath.Base(p)] = &fstest.MapFile{Data: data}
	}
	rs2, err := rules.LoadFS(fsys, "forms", "embedded")
	if err != nil {
		t.Fatal(err)
	}
	if rs2.Forms["split_demo"].Digest != f.Digest || rs2.Digest != rs.Digest {
		t.Errorf("digest depends on where the files are: %s/%s vs %s/%s", rs2.Forms["split_demo"].Digest, rs2.Digest, f.Digest, rs.Digest)
	}
	if !slices.Equal(rs2.Files, []string{"embedded/00_indicators.yaml", "embedded/10_rules.yaml"}) {
		t.Errorf("LoadFS Files = %v", rs2.Files)
	}
}

func TestTitleConflict(t *testing.T) {
	_, err := rules.LoadDir("testdata/title_conflict")
	want := []string{
		`testdata/title_conflict/b.yaml:2:8: form titled: title "乙表" differs from "甲表" at testdata/title_conflict/a.yaml:2:8`,
	}
	if got := problemLines(err); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestMixedDirectory: problems of parsing and of compiling, in several files,
// come back together and sorted; files that are not *.yaml or *.yml are
// not read.
func TestMixedDirectory(t *testing.T) {
	rs, err := rules.LoadDir("testdata/mixed")
	if rs != nil {
		t.Error("a failed load returned a ruleset")
	}
	want := []string{
		`testdata/mixed/a.yaml:8:16: rule r.one: expr: unknown name b`,
		`testdata/mixed/b.yaml:3:1: YAML syntax: found character that cannot start any token`,
		`testdata/mixed/c.yml:3:37: indicator: unknown key "colour"`,
	}
	if got := problemLines(err); !slices.Equal(got, want) {
		t.Errorf("got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	assertSorted(t, err)
}

func TestLoadNoForms(t *testing.T) {
	_, err := rules.LoadFS(fstest.MapFS{"README.md": {Data: []byte("# forms")}}, ".", "empty")
	if !errors.Is(err, rules.ErrNoForms) {
		t.Errorf("err = %v, want ErrNoForms", err)
	}
	if _, err := rules.LoadDir("testdata/does-not-exist"); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: err = %v", err)
	}
}

func TestDigest(t *testing.T) {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	basic, styles := read("basic.good.yaml"), read("styles.good.yaml")
	load := func(basic, styles []byte) *rules.Ruleset {
		t.Helper()
		rs, err := rules.LoadFS(fstest.MapFS{"a.yaml": {Data: basic}, "b.yaml": {Data: styles}}, ".", "forms")
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	hex24 := regexp.MustCompile(`^[0-9a-f]{24}$`)
	base := load(basic, styles)
	for _, d := range []string{base.Digest, base.Forms["sports_demo"].Digest, base.Forms["styles_demo"].Digest} {
		if !hex24.MatchString(d) {
			t.Errorf("digest %q is not 24 hex digits", d)
		}
	}
	again := load(basic, styles)
	if again.Digest != base.Digest || again.Forms["sports_demo"].Digest != base.Forms["sports_demo"].Digest {
		t.Error("digests differ between two loads of the same files")
	}
	if base.Forms["sports_demo"].Digest == base.Forms["styles_demo"].Digest {
		t.Error("two forms share a digest")
	}

	// A change in one file changes that form's digest and the ruleset's, and
	// leaves the other form's alone. Even a comment counts: the digest is
	// over the bytes.
	for _, edit := range []struct{ name, old, new string }{
		{"message", "金牌{{金牌数}}枚多于", "金牌{{金牌数}}枚超过"},
		{"bound", "min: -100, max: 100", "min: -100, max: 99"},
		{"comment", "form: sports_demo\n", "form: sports_demo # 体育\n"},
	} {
		changed := []byte(strings.Replace(string(basic), edit.old, edit.new, 1))
		if string(changed) == string(basic) {
			t.Fatalf("%s: edit did not apply", edit.name)
		}
		rs := load(changed, styles)
		if rs.Forms["sports_demo"].Digest == base.Forms["sports_demo"].Digest {
			t.Errorf("%s: form digest did not change", edit.name)
		}
		if rs.Digest == base.Digest {
			t.Errorf("%s: ruleset digest did not change", edit.name)
		}
		if rs.Forms["styles_demo"].Digest != base.Forms["styles_demo"].Digest {
			t.Errorf("%s: the other form's digest changed", edit.name)
		}
	}
}

func TestProblems(t *testing.T) {
	if rules.Problems(nil) != nil {
		t.Error("Problems(nil) is not nil")
	}
	plain := errors.New("disk on fire")
	if got := rules.Problems(plain); len(got) != 1 || got[0] != plain {
		t.Errorf("Problems(plain) = %v", got)
	}
	if rules.ErrorList(nil).Err() != nil {
		t.Error("empty ErrorList.Err() is not nil")
	}
	l := rules.ErrorList{
		{Pos: rules.Pos{File: "b.yaml", Line: 1, Col: 1}, Msg: "third"},
		{Pos: rules.Pos{File: "a.yaml", Line: 2, Col: 9}, Msg: "second"},
		{Pos: rules.Pos{File: "a.yaml", Line: 2, Col: 3}, Msg: "first"},
		{Pos: rules.Pos{File: "b.yaml", Line: 1, Col: 1}, Msg: "fourth"},
	}
	want := []string{"a.yaml:2:3: first", "a.yaml:2:9: second", "b.yaml:1:1: third", "b.yaml:1:1: fourth"}
	if got := problemLines(l.Err()); !slices.Equal(got, want) {
		t.Errorf("sorted = %q, want %q", got, want)
	}
}
