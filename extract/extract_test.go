package extract_test

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/rules"
	"go.yaml.in/yaml/v3"
)

// TestFilledReport: a report with every figure written in gets every
// figure right, and nothing is left over.
func TestFilledReport(t *testing.T) {
	f := shippedForm(t)
	text, err := os.ReadFile("testdata/filled_report.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := readWant(t, "testdata/filled_report.want")
	res := extract.Extract(f, string(text))
	runes := []rune(string(text))
	for _, ind := range f.Indicators {
		w, ok := want[ind.ID]
		if !ok {
			t.Errorf("%s: not in filled_report.want", ind.ID)
			continue
		}
		got, ok := res.Figures[ind.ID]
		if !ok {
			t.Errorf("%s (%s): not found, want %v", ind.ID, ind.Name, w.value)
			continue
		}
		if got.Value != w.value || got.Note != w.note {
			t.Errorf("%s: got %v note %q (raw %q in %q), want %v note %q", ind.ID, got.Value, got.Note, got.Raw, got.Snippet, w.value, w.note)
		}
		if s := string(runes[got.Offset : got.Offset+got.Length]); s != got.Raw {
			t.Errorf("%s: offset %d length %d give %q, raw is %q", ind.ID, got.Offset, got.Length, s, got.Raw)
		}
	}
	if len(res.Placeholders) != 0 || len(res.Missing) != 0 || len(res.Ambiguous) != 0 {
		t.Errorf("placeholders %+v, missing %v, ambiguous %+v; want none", res.Placeholders, res.Missing, res.Ambiguous)
	}
	// The figures make a submission the checker accepts as numbers.
	var c checker.Checker
	r := c.Check(f, &checker.Submission{Form: f.ID, Figures: res.Values()})
	for _, v := range r.Violations {
		if strings.HasPrefix(v.Rule, "builtin.") {
			t.Errorf("extracted figures break %s: %s", v.Rule, v.Message)
		}
	}
}

type wantFigure struct {
	value float64
	note  string
}

func readWant(t *testing.T, path string) map[string]wantFigure {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	out := map[string]wantFigure{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		w := wantFigure{value: v}
		if len(fields) > 2 {
			w.note = fields[2]
		}
		out[fields[0]] = w
	}
	return out
}

type textCase struct {
	Name         string             `yaml:"name"`
	Text         string             `yaml:"text"`
	Want         map[string]float64 `yaml:"want"`
	Notes        map[string]string  `yaml:"notes"`
	Absent       []string           `yaml:"absent"`
	Ambiguous    []string           `yaml:"ambiguous"`
	Missing      []string           `yaml:"missing"`
	Placeholders map[string]int     `yaml:"placeholders"`
}

// TestCases runs the reworded and neighbouring-figure cases: the right
// figure or none, never a wrong one.
func TestCases(t *testing.T) {
	f := shippedForm(t)
	b, err := os.ReadFile("testdata/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []textCase
	if err := yaml.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases read", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			res := extract.Extract(f, tc.Text)
			for id, v := range tc.Want {
				if _, ok := f.Indicator(id); !ok {
					t.Fatalf("case names unknown indicator %s", id)
				}
				got, ok := res.Figures[id]
				if !ok || got.Value != v {
					t.Errorf("%s = %+v (found %v), want %v", id, got, ok, v)
				}
			}
			for id, n := range tc.Notes {
				if got := res.Figures[id].Note; got != n {
					t.Errorf("%s note %q, want %q", id, got, n)
				}
			}
			for _, id := range tc.Absent {
				if got, ok := res.Figures[id]; ok {
					t.Errorf("%s = %v taken from %q, want no figure", id, got.Value, got.Snippet)
				}
			}
			var amb []string
			for _, a := range res.Ambiguous {
				amb = append(amb, a.ID)
				if len(a.Candidates) == 0 {
					t.Errorf("ambiguity %s without candidates", a.ID)
				}
			}
			for _, id := range tc.Ambiguous {
				if !slices.Contains(amb, id) {
					t.Errorf("%s not reported ambiguous (ambiguous: %v, figures: %v)", id, amb, res.Figures)
				}
				if _, ok := res.Figures[id]; ok {
					t.Errorf("%s is ambiguous and yet has a figure", id)
				}
			}
			for _, id := range tc.Missing {
				if !slices.Contains(res.Missing, id) {
					t.Errorf("%s not reported missing (missing: %v)", id, res.Missing)
				}
			}
			if tc.Placeholders != nil {
				got := map[string]int{}
				for _, p := range res.Placeholders {
					got[p.ID]++
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.Placeholders) {
					t.Errorf("placeholders by indicator %v, want %v", got, tc.Placeholders)
				}
			}
			// Every figure, whichever case, lies in the text where it says.
			runes := []rune(tc.Text)
			for id, fig := range res.Figures {
				if s := string(runes[fig.Offset : fig.Offset+fig.Length]); s != fig.Raw {
					t.Errorf("%s: offset gives %q, raw %q", id, s, fig.Raw)
				}
			}
		})
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in          string
		want        float64
		placeholder bool
		note        string
		percent     bool
		bad         bool
	}{
		{in: "12", want: 12},
		{in: "１２", want: 12},
		{in: "１２．５", want: 12.5},
		{in: "1,260", want: 1260},
		{in: "1，260", want: 1260},
		{in: "12,345,678.5", want: 12345678.5},
		{in: "1.2万", want: 12000},
		{in: "0.08亿", want: 8e6},
		{in: "3.5亿", want: 3.5e8},
		{in: "1.1万", want: 11000},
		{in: "约85", want: 85, note: "约"},
		{in: "近60", want: 60, note: "近"},
		{in: "3200余", want: 3200, note: "余"},
		{in: "12余万", want: 120000, note: "余"},
		{in: "21万余", want: 210000, note: "余"},
		{in: "约3,200余", want: 3200, note: "约、余"},
		{in: "95%以上", want: 95, percent: true, note: "以上"},
		{in: "95％", want: 95, percent: true},
		{in: "-0.5", want: -0.5},
		{in: "xx", placeholder: true},
		{in: "XX", placeholder: true},
		{in: "××", placeholder: true},
		{in: "xx余", placeholder: true, note: "余"},
		{in: "xx万", placeholder: true},
		{in: "ｘｘ", placeholder: true},
		{in: "", bad: true},
		{in: "余", bad: true},
		{in: "1,26", bad: true},
		{in: "12,", bad: true},
		{in: "1.2.3", bad: true},
		{in: "1e5", bad: true},
		{in: "三", bad: true},
		{in: "和小学共12", bad: true},
		{in: "NaN", bad: true},
		{in: "Inf", bad: true},
		{in: "0x10", bad: true},
		{in: "1_000", bad: true},
		{in: ".5", bad: true},
		{in: "5.", bad: true},
		{in: "5万%", bad: true},
		{in: "1万万万万", bad: true},
		{in: "--1", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := extract.ParseNumber(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("ParseNumber(%q) = %+v, want an error", tt.in, n)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNumber(%q): %v", tt.in, err)
			}
			if n.Value != tt.want || n.Placeholder != tt.placeholder || n.Note() != tt.note || n.Percent != tt.percent {
				t.Errorf("ParseNumber(%q) = %+v note %q, want %v placeholder %v note %q percent %v",
					tt.in, n, n.Note(), tt.want, tt.placeholder, tt.note, tt.percent)
			}
		})
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"12", "1,260", "1.2万", "约3,200余", "xx余", "95%以上", "１２．５", "12余万", "-0.5", "1e5", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := extract.ParseNumber(s)
		if err != nil {
			return
		}
		if math.IsNaN(n.Value) || math.IsInf(n.Value, 0) {
			t.Fatalf("ParseNumber(%q) = %v", s, n.Value)
		}
		if n.Placeholder && n.Value != 0 {
			t.Fatalf("placeholder %q with value %v", s, n.Value)
		}
		if v := n.In(0); !n.Placeholder && v != n.Value {
			t.Fatalf("In(0) = %v, Value = %v", v, n.Value)
		}
	})
}

func FuzzExtract(f *testing.F) {
	form := shippedForm(f)
	seed, _ := os.ReadFile("testdata/filled_report.txt")
	f.Add(string(seed[:min(len(seed), 2000)]))
	f.Add("开工建设幼儿园xx所,竣工１２所,新增学位1,260个")
	f.Add("获得金牌3枚、银牌5枚\xff铜牌7枚")
	f.Add("xx市")
	f.Fuzz(func(t *testing.T, text string) {
		res := extract.Extract(form, text)
		n := len([]rune(text))
		for id, fig := range res.Figures {
			if _, ok := form.Indicator(id); !ok {
				t.Fatalf("figure for unknown indicator %s", id)
			}
			if fig.Offset < 0 || fig.Length <= 0 || fig.Offset+fig.Length > n {
				t.Fatalf("%s: span %d+%d outside %d code points", id, fig.Offset, fig.Length, n)
			}
			if math.IsNaN(fig.Value) || math.IsInf(fig.Value, 0) {
				t.Fatalf("%s = %v", id, fig.Value)
			}
		}
		for _, p := range res.Placeholders {
			if p.Offset < 0 || p.Length <= 0 || p.Offset+p.Length > n {
				t.Fatalf("placeholder span %d+%d outside %d code points", p.Offset, p.Length, n)
			}
		}
		for _, a := range res.Ambiguous {
			if _, ok := res.Figures[a.ID]; ok {
				t.Fatalf("%s both ambiguous and a figure", a.ID)
			}
		}
	})
}

// TestLoosePattern: a pattern written with (\S+?), as docs/rules.md shows,
// still finds a figure hidden inside a longer wrong match, and never takes
// a wrong one.
func TestLoosePattern(t *testing.T) {
	fsys := fstest.MapFS{"forms/demo.yaml": {Data: []byte(`form: demo
indicators:
  - {id: done, name: 竣工数, unit: 所, type: integer, patterns: ['竣工(\S+?)所']}
  - {id: fund, name: 资金, unit: 万元, type: number, patterns: ['资金(\S+?)元']}
`)}}
	rs, err := rules.LoadFS(fsys, "forms", "test")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := rs.Form("demo")
	tests := []struct {
		text string
		want map[string]float64
	}{
		{"竣工验收工作稳步推进,幼儿园竣工4所。", map[string]float64{"done": 4}},
		{"竣工验收工作稳步推进,幼儿园竣工和在建共4所。", map[string]float64{}},
		{"投入资金2.5亿元", map[string]float64{"fund": 25000}},
		{"投入资金250万元", map[string]float64{"fund": 250}},
		{"投入资金和物资折合250万元", map[string]float64{}},
		{strings.Repeat("竣工", 5000) + "所", map[string]float64{}},
		// Past the patterns' retry bound; the words pass still reads the
		// clause's last figure.
		{strings.Repeat("竣工", 5000) + "竣工7所", map[string]float64{"done": 7}},
	}
	for _, tt := range tests {
		res := extract.Extract(f, tt.text)
		got := map[string]float64{}
		for id, fig := range res.Figures {
			got[id] = fig.Value
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%.40q: figures %v, want %v", tt.text, got, tt.want)
		}
	}
}
