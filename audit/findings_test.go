package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden findings in testdata")

// richBatch is a generated batch of n units (n ≥ 100) with more to find
// than the planted problems: a unit copied by several others, exactly and
// nearly, peer outliers, missing figures, and a third period for some units
// with part of their figures unchanged.
func richBatch(g *generator, n int) *batch {
	b := g.genBatch(n)
	rows := map[string]*genRow{}
	for i := range b.rows {
		rows[b.rows[i].unit+"/"+b.rows[i].period] = &b.rows[i]
	}
	row := func(k int, period string) *genRow { return rows[fmt.Sprintf("区县%02d/%s", k, period)] }
	inds := g.f.Indicators
	// 区县01 copied by 区县03–06 with 0, 1, 3 and 0 figures changed; 区县10
	// copied by 区县11 in the first period.
	for k, differ := range []int{0, 1, 3, 0} {
		dst := row(3+k, p2)
		dst.vals = maps(row(1, p2).vals)
		for j := range differ {
			dst.vals[inds[7*j+2].ID]++
		}
	}
	row(11, p1).vals = maps(row(10, p1).vals)
	// Outliers: a few figures 30 times too large or too small.
	for k := 20; k < 25; k++ {
		r := row(k, p2)
		for j := k % 4; j < len(inds); j += 9 {
			if k%2 == 0 {
				r.vals[inds[j].ID] *= 30
			} else {
				r.vals[inds[j].ID] = math.Round(r.vals[inds[j].ID] / 30)
			}
		}
	}
	// Missing figures.
	for k := 40; k < 60; k++ {
		for j, ind := range inds {
			if (k+j)%11 == 0 {
				delete(row(k, p1).vals, ind.ID)
			}
		}
	}
	// A third, earlier period for a fifth of the units, appended after the
	// others: a third of the figures unchanged, the rest 10 % lower.
	for k := 30; k < 30+n/5; k++ {
		prev := row(k, p1)
		vals := map[string]float64{}
		for j, ind := range inds {
			if v, ok := prev.vals[ind.ID]; ok {
				if j%3 != 0 {
					v = math.Round(v * 0.9)
				}
				vals[ind.ID] = v
			}
		}
		b.rows = append(b.rows, genRow{unit: prev.unit, period: "2024H1", vals: vals})
	}
	return b
}

// goldenCases are the batches and options of TestFindingsGolden.
var goldenCases = []struct {
	name  string
	seed  uint64
	units int
	opts  Options
}{
	{"default", 11, 2500, Options{}},
	{"loose", 12, 250, Options{Alpha: 0.5, UnitAlpha: 0.3, MinUnitBenford: 20, MinBenford2: 100, OutlierZ: 3.2, MinSame: 6, MaxDiffer: 0.25}},
	{"per", 13, 200, Options{Per: "school_districts", MinPeers: 5}},
}

// findingLines encodes the findings and the batch-wide Benford tests of a
// report one per line.
func findingLines(t *testing.T, rep *Report) []string {
	t.Helper()
	var lines []string
	for _, f := range rep.Findings {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	for _, r := range rep.Benford {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	return lines
}

// TestFindingsGolden compares the findings of generated batches, in order
// and to the last bit, with those of testdata/findings_*.golden. They were
// first written by the straightforward implementation (one goroutine, full
// sorts, maps) that the faster one had to agree with, then rewritten for
// two deliberate changes: the per-unit level shared among the units
// (unitAlpha) and the exact p-value of the round-number test. Rewrite them
// with -update only after a deliberate change of the findings.
func TestFindingsGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			g := newGenerator(t, c.seed)
			data := richBatch(g, c.units).csvBytes(g.f)
			path := filepath.Join("testdata", "findings_"+c.name+".golden")
			for _, workers := range []int{1, 3} {
				o := c.opts
				o.Workers = workers
				got := findingLines(t, auditBytes(t, data, FormatCSV, o))
				if *updateGolden && workers == 1 {
					if err := os.WriteFile(path, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				wantLines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
				if len(got) != len(wantLines) {
					t.Errorf("workers %d: %d findings and Benford tests, want %d", workers, len(got), len(wantLines))
				}
				bad := 0
				for i := range min(len(got), len(wantLines)) {
					if got[i] != wantLines[i] {
						t.Errorf("workers %d, line %d:\n got %s\nwant %s", workers, i+1, got[i], wantLines[i])
						if bad++; bad == 5 {
							break
						}
					}
				}
			}
		})
	}
}

// TestFindingsCoverGolden makes sure the golden batches exercise every kind
// of finding.
func TestFindingsCoverGolden(t *testing.T) {
	kinds := map[string]int{}
	for _, c := range goldenCases {
		data, err := os.ReadFile(filepath.Join("testdata", "findings_"+c.name+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		for line := range bytes.Lines(data) {
			var f Finding
			if err := json.Unmarshal(line, &f); err == nil && f.Kind != "" {
				kinds[f.Kind]++
			}
		}
	}
	for _, k := range []string{KindBatchRule, KindHierarchy, KindJump, KindBenford1, KindBenford2, KindLastDigit, KindDuplicate, KindOutlier} {
		if kinds[k] == 0 {
			t.Errorf("no %s finding in the golden batches", k)
		}
	}
	t.Logf("findings by kind: %v", kinds)
}

func TestRunTasks(t *testing.T) {
	tasks := make([]func() []Finding, 50)
	for i := range tasks {
		tasks[i] = func() []Finding { return []Finding{{Unit: fmt.Sprint(i)}} }
	}
	for _, workers := range []int{1, 2, 7, 100} {
		results := runTasks(tasks, workers)
		for i, r := range results {
			if len(r) != 1 || r[0].Unit != fmt.Sprint(i) {
				t.Fatalf("%d workers: result %d is %v", workers, i, r)
			}
		}
	}
	tasks[17] = func() []Finding { panic("task 17 fails") }
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "task 17 fails") {
			t.Errorf("recovered %v, want the panic of task 17", p)
		}
	}()
	runTasks(tasks, 3)
	t.Error("a panicking task does not panic the caller")
}

// findingsAuditor is an audit of a batch read and finished, whose findings
// can be computed again.
func findingsAuditor(b *testing.B, data []byte) *Auditor {
	a, _ := runAudit(b, shippedForm(b), data, FormatCSV, Options{})
	return a
}

// BenchmarkFindings measures the batch checks and statistics alone
// (findings) on a generated batch of 5,000 units in two periods.
func BenchmarkFindings(b *testing.B) {
	g := newGenerator(b, 5)
	a := findingsAuditor(b, g.genBatch(5000).csvBytes(g.f))
	b.ReportAllocs()
	for b.Loop() {
		a.findings()
	}
	b.ReportMetric(float64(a.rowCount()*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkFindingsFile measures findings alone on the CSV file named by
// FIGCHECK_AUDIT_CSV (see TestWriteBatchCSV); it is skipped without it.
func BenchmarkFindingsFile(b *testing.B) {
	path := os.Getenv("FIGCHECK_AUDIT_CSV")
	if path == "" {
		b.Skip("FIGCHECK_AUDIT_CSV is not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	a := findingsAuditor(b, data)
	b.ReportAllocs()
	for b.Loop() {
		a.findings()
	}
	b.ReportMetric(float64(a.rowCount()*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// testFinding is the finding of m, with its own head.
func testFinding(m findingMembers) Finding { return newFinding(m, new(findingHead)) }
