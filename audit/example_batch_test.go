package audit

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exampleDir holds the shipped example batch: two periods in two files,
// the later one headed the way the template heads its columns (name and
// unit) and with a 说明 column. docs/audit.md runs it.
const exampleDir = "../docs/examples"

var exampleFiles = []string{"units-2024H2.csv", "units-2025H1.csv"}

// exampleExplained is the unit whose warning the example explains, and
// the rule.
const exampleExplainedRule = "edu.kindergarten_completed_le_started"

// writeExampleBatch (go test ./audit -run TestExampleBatch -update)
// writes the example batch from the generator's planted batch.
func writeExampleBatch(t *testing.T) {
	g := newGenerator(t, 42)
	b := g.genBatch(12)
	for i, p := range []string{p1, p2} {
		var rows []genRow
		for _, r := range b.rows {
			if r.period == p {
				rows = append(rows, r)
			}
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		head := []string{"单位", "期间"}
		for _, ind := range g.f.Indicators {
			h := ind.Name
			if i == 1 {
				h += "（" + ind.Unit + "）"
			}
			head = append(head, h)
		}
		if i == 1 {
			head = append(head, "说明:"+exampleExplainedRule)
		}
		_ = w.Write(head)
		for k, r := range rows {
			sub := batch{rows: []genRow{r}}
			rec, _ := csv.NewReader(bytes.NewReader(sub.csvBytes(g.f))).ReadAll()
			line := rec[1]
			if i == 1 {
				text := ""
				if k == 2 {
					// A unit that completed more kindergartens than it started.
					line[2+mustInd(g.f, "kindergartens_completed").Index] = "9"
					text = "含2024年开工、本期竣工的3所幼儿园"
				}
				line = append(line, text)
			}
			_ = w.Write(line)
		}
		w.Flush()
		if err := os.WriteFile(filepath.Join(exampleDir, exampleFiles[i]), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// exampleReport audits the shipped example batch.
func exampleReport(t *testing.T, o Options) *Report {
	t.Helper()
	if *updateGolden {
		writeExampleBatch(t)
	}
	a, err := New(shippedForm(t), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range exampleFiles {
		file, err := os.Open(filepath.Join(exampleDir, name))
		if err != nil {
			t.Fatal(err)
		}
		rr, err := NewReader(a.Form(), a.Track(name, file), FormatCSV, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Read(name, rr); err != nil {
			t.Fatal(err)
		}
		file.Close()
	}
	return a.Finish()
}

// TestExampleBatch: the shipped example reads without a problem (its
// headers with units included), its 说明 column explains the warning, and
// its planted units are found.
func TestExampleBatch(t *testing.T) {
	rep := exampleReport(t, Options{})
	if len(rep.Problems) > 0 {
		t.Fatalf("problems: %v", rep.Problems)
	}
	explained := false
	for _, r := range rep.Rows {
		for _, v := range r.Violations {
			if v.Rule == exampleExplainedRule && v.Explained && strings.Contains(v.Explanation, "2024年开工") {
				explained = true
			}
		}
	}
	if !explained {
		t.Error("the 说明 column did not explain the warning")
	}
	if len(rep.Inputs) != 2 || rep.Inputs[1].Name != exampleFiles[1] || len(rep.Inputs[1].SHA256) != 64 {
		t.Errorf("inputs %+v", rep.Inputs)
	}
	st, _ := os.Stat(filepath.Join(exampleDir, exampleFiles[1]))
	if rep.Inputs[1].Size != st.Size() {
		t.Errorf("input size %d, file %d", rep.Inputs[1].Size, st.Size())
	}
	kinds := map[string]bool{}
	for _, f := range rep.Findings {
		kinds[f.Kind] = true
	}
	for _, k := range []string{KindDuplicate, KindHierarchy, KindJump, KindLastDigit} {
		if !kinds[k] {
			t.Errorf("no %s finding in the example", k)
		}
	}
}
