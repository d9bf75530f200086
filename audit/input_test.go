package audit

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/xuri/excelize/v2"
)

type wantProblem struct {
	row int
	col string
	msg string // a part of the message
}

// fixtureProblems are the problems of testdata/batch_*.csv.
var fixtureProblems = []wantProblem{
	{1, "G", "未知列"},
	{4, "", "重复出现"},
	{5, "I", "表头之外"},
	{6, "单位", "缺少单位"},
}

func checkProblems(t *testing.T, got []Problem, want []wantProblem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("problems: got %d %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Row != w.row || g.Column != w.col || !strings.Contains(g.Message, w.msg) {
			t.Errorf("problem %d: got row %d col %q %q, want row %d col %q containing %q", i, g.Row, g.Column, g.Message, w.row, w.col, w.msg)
		}
	}
}

func rowOf(t *testing.T, rep *Report, unit, period string) RowReport {
	t.Helper()
	for r := range rep.Rows() {
		if r.Unit == unit && r.Period == period {
			return r
		}
	}
	t.Fatalf("no row for %s %s", unit, period)
	return RowReport{}
}

func hasRule(r RowReport, rule string) bool {
	for _, v := range r.Violations {
		if v.Rule == rule {
			return true
		}
	}
	return false
}

func TestCSVFixtures(t *testing.T) {
	f := shippedForm(t)
	for _, c := range []struct{ file, encoding string }{
		{"batch_utf8.csv", ""}, {"batch_bom.csv", ""}, {"batch_gb18030.csv", ""},
		{"batch_gb18030.csv", "gb18030"}, {"batch_utf8.csv", "utf-8"},
	} {
		t.Run(c.file+"/"+c.encoding, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := New(f, Options{})
			rr, err := NewReader(f, bytes.NewReader(data), FormatCSV, c.encoding)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Read(c.file, rr); err != nil {
				t.Fatal(err)
			}
			rep := a.Finish()
			checkProblems(t, rep.Problems, fixtureProblems)
			if rep.Summary.Rows != 4 || rep.Summary.Units != 3 {
				t.Errorf("rows %d units %d, want 4 and 3", rep.Summary.Rows, rep.Summary.Units)
			}
			west := rowOf(t, rep, "西区", "2025H1")
			if !hasRule(west, checker.BuiltinType) || !hasRule(west, "sport.gold_le_events") {
				t.Errorf("西区: want builtin.type (abc) and sport.gold_le_events, got %+v", west.Violations)
			}
			if !hasRule(rowOf(t, rep, "南区", "2025H1"), checker.BuiltinPlaceholder) {
				t.Error("南区: the xx cell is not a placeholder violation")
			}
			// The same result as a check of the same submission.
			var c checker.Checker
			direct := c.Check(f, &checker.Submission{Form: f.ID, Unit: "西区", Period: "2025H1", Figures: map[string]any{
				"party_study_sessions": 20.0, "party_seminars": "abc", "gold_medals": 9.0, "events_entered": 8.0, "party_brands": 15.0,
			}})
			if west.CheckID != direct.CheckID || !reflect.DeepEqual(west.Violations, direct.Violations) || west.Summary != direct.Summary {
				t.Errorf("西区 differs from a direct check:\n audit  %s %+v\n direct %s %+v", west.CheckID, west.Summary, direct.CheckID, direct.Summary)
			}
			// 东区 2024H2 came after 2025H1: the later row was checked again
			// with its previous period.
			east := rowOf(t, rep, "东区", "2025H1")
			withPrev := c.Check(f, &checker.Submission{Form: f.ID, Unit: "东区", Period: "2025H1",
				Figures:  map[string]any{"party_study_sessions": 24.0, "party_seminars": 12.0, "gold_medals": 3.0, "events_entered": 8.0, "party_brands": 18.0},
				Previous: map[string]any{"party_study_sessions": 22.0, "party_seminars": 11.0, "gold_medals": 2.0, "events_entered": 7.0, "party_brands": 16.0},
			})
			if east.Summary != withPrev.Summary || east.CheckID != withPrev.CheckID {
				t.Errorf("东区 2025H1 was not checked with its previous period: %+v, want %+v", east.Summary, withPrev.Summary)
			}
		})
	}
}

func TestDetectEncoding(t *testing.T) {
	f := shippedForm(t)
	if _, err := NewReader(f, strings.NewReader("单位,期间\n"), FormatCSV, "latin1"); !errors.Is(err, ErrFormat) {
		t.Errorf("unknown encoding: %v, want ErrFormat", err)
	}
	for _, c := range []struct{ name, ct, head, want string }{
		{"a.csv", "", "", FormatCSV}, {"a.XLSX", "", "", FormatXLSX}, {"a.jsonl", "", "", FormatNDJSON},
		{"", "application/json", "", FormatJSON}, {"", "application/x-ndjson", "", FormatNDJSON},
		{"", "text/csv", "", FormatCSV}, {"", "", "PK\x03\x04....", FormatXLSX}, {"", "", " [{", FormatJSON},
		{"", "", "{\"unit\":1}", FormatNDJSON}, {"", "", "单位,期间", FormatCSV},
	} {
		if got := DetectFormat(c.name, c.ct, []byte(c.head)); got != c.want {
			t.Errorf("DetectFormat(%q, %q, %q) = %s, want %s", c.name, c.ct, c.head, got, c.want)
		}
	}
}

func TestJSONInputs(t *testing.T) {
	f := shippedForm(t)
	array := `[
{"unit":"东区","period":"2025H1","集中学习次数":24,"gold_medals":3,"参赛项目数":8},
{"单位":"西区","期间":"2025H1","figures":{"金牌数":9,"events_entered":8},"nonsense":1},
{"unit":"东区","period":"2025H1","gold_medals":1}
]`
	ndjson := `{"unit":"东区","period":"2025H1","集中学习次数":24,"gold_medals":3,"参赛项目数":8}
{"单位":"西区","期间":"2025H1","figures":{"金牌数":9,"events_entered":8},"nonsense":1}
{oops

{"unit":"东区","period":"2025H1","gold_medals":1}
`
	for _, c := range []struct {
		format, data string
		want         []wantProblem
	}{
		{FormatJSON, array, []wantProblem{{2, "nonsense", "未知字段"}, {3, "", "重复出现"}}},
		{FormatNDJSON, ndjson, []wantProblem{{2, "nonsense", "未知字段"}, {3, "", "JSON"}, {5, "", "重复出现"}}},
	} {
		t.Run(c.format, func(t *testing.T) {
			rep := auditBytes(t, []byte(c.data), c.format, Options{})
			checkProblems(t, rep.Problems, c.want)
			if !hasRule(rowOf(t, rep, "西区", "2025H1"), "sport.gold_le_events") {
				t.Error("西区: gold medals above events not found")
			}
			if rep.Summary.Rows != 2 {
				t.Errorf("rows = %d, want 2", rep.Summary.Rows)
			}
		})
	}
	if _, err := NewReader(f, strings.NewReader(`{"unit":1}`), FormatJSON, ""); !errors.Is(err, ErrFormat) {
		t.Errorf("a JSON object instead of an array: %v, want ErrFormat", err)
	}
}

func TestXLSXInput(t *testing.T) {
	x := excelize.NewFile()
	rows := [][]any{
		{"单位", "期间", "金牌数", "参赛项目数", "多余列"},
		{"东区", "2025H1", 3, 8, ""},
		{},
		{"西区", "2025H1", 9, "8", "x"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	rep := auditBytes(t, buf.Bytes(), FormatXLSX, Options{})
	checkProblems(t, rep.Problems, []wantProblem{{1, "E", "未知列"}})
	west := rowOf(t, rep, "西区", "2025H1")
	if west.Row != 4 || !hasRule(west, "sport.gold_le_events") {
		t.Errorf("西区: row %d, violations %+v", west.Row, west.Violations)
	}
	if _, err := NewReader(shippedForm(t), strings.NewReader("not a zip"), FormatXLSX, ""); !errors.Is(err, ErrFormat) {
		t.Errorf("not a workbook: %v, want ErrFormat", err)
	}
}

var fuzzForm = sync.OnceValue(func() *rules.Form {
	rs, err := rules.LoadDir("../configs/forms")
	if err != nil {
		panic(err)
	}
	f, _ := rs.Form("edu_sports_halfyear")
	return f
})

// FuzzReaders feeds arbitrary bytes to the CSV and NDJSON readers and the
// audit: they may report problems or refuse the input, never panic or loop.
func FuzzReaders(f *testing.F) {
	for _, name := range []string{"batch_utf8.csv", "batch_gb18030.csv", "batch_bom.csv"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("{\"unit\":\"a\",\"period\":\"p\",\"金牌数\":\"1,200\"}\n{\"unit\":\"a\"}\n[1]\n"))
	f.Add([]byte("单位,期间\n\"a,\"\"b\",c\n"))
	form := fuzzForm()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{FormatCSV, FormatNDJSON, FormatJSON} {
			rr, err := NewReader(form, bytes.NewReader(data), format, "")
			if err != nil {
				continue
			}
			a, _ := New(form, Options{Workers: 1})
			for range len(data) + 2 {
				row, probs, err := rr.Next()
				for _, p := range probs {
					if p.Row < 0 || p.Message == "" {
						t.Fatalf("%s: bad problem %+v", format, p)
					}
				}
				if err != nil {
					if !errors.Is(err, io.EOF) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrLimit) {
						t.Fatalf("%s: error not wrapping ErrFormat or ErrLimit: %v", format, err)
					}
					break
				}
				if err := a.add(a.file("fuzz"), row); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
			}
			rep := a.Finish()
			if err := rep.WriteCSV(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
	})
}
