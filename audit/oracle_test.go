package audit

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/figcheck/figcheck/rules"
)

// The oracle files in testdata/oracle (inputs *.csv, reports *.json) were written by the audit as it was
// before the columnar store (commit bee2ae2): for each input, the rows of
// the JSON report (verdict, check_id, every violation and evaluation
// error), the verdict counts, the top rules and the input problems. The
// test runs the current audit on the same inputs and wants the same JSON,
// byte for byte. Findings have their own golden files (findings_test.go).
//
//	FIGCHECK_WRITE_ORACLE=1 go test ./audit -run Oracle   # rewrite them
var oracleInputs = []struct {
	name string
	gen  func(t testing.TB, f *rules.Form) []byte
}{
	{"batch60", func(t testing.TB, f *rules.Form) []byte { g := newGenerator(t, 60); return g.genBatch(60).csvBytes(f) }},
	{"random300", func(_ testing.TB, f *rules.Form) []byte { return randomCSV(f, 300, 60) }},
	// Few units in random periods: many rows come before their previous
	// period and are checked again at the end; many are repeated.
	{"shuffled", func(_ testing.TB, f *rules.Form) []byte { return randomCSV(f, 120, 3) }},
}

// randomCSV writes rows of units unit1…unitK in random periods with random
// cells: plain numbers, fractions for integers, thousands separators,
// percent signs, placeholders, blanks and words.
func randomCSV(f *rules.Form, rows, units int) []byte {
	rng := rand.New(rand.NewPCG(uint64(rows), uint64(units)))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(csvHead(f))
	periods := []string{"2023H1", "2023H2", "2024H1", "2024H2", "2025H1", "2025H2"}
	for i := range rows {
		rec := []string{fmt.Sprintf("unit%d", rng.IntN(units)+1), periods[rng.IntN(len(periods))]}
		if i%37 == 5 {
			rec[0] = ""
		}
		for _, ind := range f.Indicators {
			var cell string
			switch rng.IntN(60) {
			case 0:
				cell = ""
			case 1:
				cell = "xx"
			case 2:
				cell = strconv.FormatFloat(rng.Float64()*100, 'f', 2, 64)
			case 3:
				cell = "1,2" + strconv.Itoa(rng.IntN(1000))
			case 4:
				cell = strconv.Itoa(rng.IntN(100)) + "%"
			case 5:
				cell = "-" + strconv.Itoa(rng.IntN(50))
			case 6:
				cell = "约" + strconv.Itoa(rng.IntN(50))
			default:
				cell = strconv.Itoa(rng.IntN(200))
				if ind.Max != nil && rng.IntN(3) > 0 {
					cell = strconv.FormatFloat(*ind.Max*rng.Float64(), 'f', 1, 64)
				}
			}
			rec = append(rec, cell)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

// oracleView is the part of a JSON report the oracle files hold.
type oracleView struct {
	Pass, Warn, Fail int
	TopRules         json.RawMessage `json:"top_rules"`
	Rows             json.RawMessage `json:"rows"`
	Problems         json.RawMessage `json:"problems"`
}

func oracleOf(t *testing.T, report []byte) []byte {
	t.Helper()
	var r struct {
		Summary struct {
			Pass, Warn, Fail int
			TopRules         json.RawMessage `json:"top_rules"`
		} `json:"summary"`
		Rows     json.RawMessage `json:"rows"`
		Problems json.RawMessage `json:"problems"`
	}
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatal(err)
	}
	v := oracleView{Pass: r.Summary.Pass, Warn: r.Summary.Warn, Fail: r.Summary.Fail, TopRules: r.Summary.TopRules, Rows: r.Rows, Problems: r.Problems}
	// One row per line, so that a difference shows as a line.
	var rows []json.RawMessage
	if err := json.Unmarshal(v.Rows, &rows); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "pass %d warn %d fail %d\n%s\n%s\n", v.Pass, v.Warn, v.Fail, v.TopRules, v.Problems)
	for _, r := range rows {
		out.Write(r)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// TestOracle: the audit gives the rows, verdicts, check ids, violations,
// top rules and problems the row-map audit gave on the same inputs.
func TestOracle(t *testing.T) {
	f := shippedForm(t)
	for _, in := range oracleInputs {
		t.Run(in.name, func(t *testing.T) {
			input := filepath.Join("testdata", "oracle", in.name+".csv")
			path := filepath.Join("testdata", "oracle", in.name+".json.gz")
			write := os.Getenv("FIGCHECK_WRITE_ORACLE") != ""
			var data []byte
			if write {
				data = in.gen(t, f)
				if err := os.WriteFile(input, data, 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				var err error
				if data, err = os.ReadFile(input); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			if err := auditBytes(t, data, FormatCSV, Options{}).Write(&out, OutJSON); err != nil {
				t.Fatal(err)
			}
			got := oracleOf(t, out.Bytes())
			if write {
				var z bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
				_, _ = zw.Write(got)
				_ = zw.Close()
				if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := readGzip(t, path)
			if !bytes.Equal(got, want) {
				t.Fatalf("the report differs from %s (%d bytes, want %d); zcat it and diff", path, len(got), len(want))
			}
		})
	}
}

func readGzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRowOrderDoesNotMatter: a row read before its previous period is
// checked again at the end with the figures as written, so that its
// report (fields, check id) is the one it gets when the periods come in
// order. The row-map audit re-checked such rows from the numbers alone
// ("42%" became 42, and the check id changed); the oracle files were
// rewritten for the rows that differed so.
func TestRowOrderDoesNotMatter(t *testing.T) {
	f := shippedForm(t)
	rate := mustInd(f, "benke_rate").Name
	head := "单位,期间," + rate + "\n"
	early, late := "甲,2024H2,96.1\n", "甲,2025H1,42%\n"
	inOrder := rowsOf(t, auditBytes(t, []byte(head+early+late), FormatCSV, Options{}))
	reversed := rowsOf(t, auditBytes(t, []byte(head+late+early), FormatCSV, Options{}))
	for period, want := range inOrder {
		got := reversed[period]
		if want.CheckID != got.CheckID || !reflect.DeepEqual(want.Violations, got.Violations) {
			t.Errorf("%s: in order %s %+v\nreversed %s %+v", period, want.CheckID, want.Violations, got.CheckID, got.Violations)
		}
	}
	if v := inOrder["2025H1"]; len(v.Violations) == 0 {
		t.Fatal("no violation on 2025H1")
	}
	for _, v := range reversed["2025H1"].Violations {
		if x, ok := v.Fields["benke_rate"]; ok && x != "42%" {
			t.Errorf("%s: benke_rate %v, want it as written", v.Rule, x)
		}
	}
}

func rowsOf(t *testing.T, rep *Report) map[string]RowReport {
	t.Helper()
	m := map[string]RowReport{}
	for r := range rep.Rows() {
		r.Row = 0
		m[r.Period] = r
	}
	return m
}
