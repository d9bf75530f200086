package audit

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/figcheck/figcheck/rules"
)

// TestWriteBatchCSV writes a generated batch to the file named by
// FIGCHECK_AUDIT_CSV (FIGCHECK_AUDIT_UNITS clean units, default 50,000, two
// periods each), for measuring `figcheck audit` from the outside:
//
//	FIGCHECK_AUDIT_CSV=/tmp/batch.csv go test ./audit -run WriteBatchCSV
func TestWriteBatchCSV(t *testing.T) {
	path := os.Getenv("FIGCHECK_AUDIT_CSV")
	if path == "" {
		t.Skip("FIGCHECK_AUDIT_CSV is not set")
	}
	n := 50000
	if s := os.Getenv("FIGCHECK_AUDIT_UNITS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	g := newGenerator(t, 1)
	b := g.genBatch(n)
	if err := os.WriteFile(path, b.csvBytes(g.f), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d rows", path, len(b.rows))
}

// BenchmarkAudit audits a generated batch of 2,000 rows read from CSV, with
// every batch check and statistic; rows/s is the figure to compare.
func BenchmarkAudit(b *testing.B) {
	g := newGenerator(b, 3)
	batch := g.genBatch(994)
	data := batch.csvBytes(g.f)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		runAudit(b, g.f, data, FormatCSV, Options{})
	}
	b.ReportMetric(float64(len(batch.rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkAuditFile audits the CSV file named by FIGCHECK_AUDIT_CSV (see
// TestWriteBatchCSV) and writes its JSON report; it is skipped without it.
// FIGCHECK_AUDIT_RULES names another rules directory with one form (such
// as testdata/retailers).
func BenchmarkAuditFile(b *testing.B) {
	path, f := fileBatch(b)
	rows := 0
	for b.Loop() {
		rep := readFile(b, f, path).Finish()
		if err := rep.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
		rows += rep.Summary.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// fileBatch is the CSV file named by FIGCHECK_AUDIT_CSV and its form: the
// shipped one, or the one of FIGCHECK_AUDIT_RULES. It skips without the
// file.
func fileBatch(b *testing.B) (string, *rules.Form) {
	path := os.Getenv("FIGCHECK_AUDIT_CSV")
	if path == "" {
		b.Skip("FIGCHECK_AUDIT_CSV is not set")
	}
	f := shippedForm(b)
	if dir := os.Getenv("FIGCHECK_AUDIT_RULES"); dir != "" {
		rs, err := rules.LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		f, _ = rs.Form(rs.FormIDs()[0])
	}
	return path, f
}

// readFile reads a CSV file into a new audit of form f.
func readFile(b *testing.B, f *rules.Form, path string) *Auditor {
	file, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	return readCSV(b, f, path, file)
}

// readCSV reads CSV rows into a new audit of form f; the checks may still
// be running when it returns.
func readCSV(tb testing.TB, f *rules.Form, name string, r io.Reader) *Auditor {
	tb.Helper()
	a, err := New(f, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	rr, err := NewReader(f, r, FormatCSV, "")
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.Read(name, rr); err != nil {
		tb.Fatal(err)
	}
	return a
}

// BenchmarkFinishFile reads the CSV file of BenchmarkAuditFile and times
// Finish alone: the batch checks, statistics and case files, no report
// written. live-MB and live-objects are the heap the report holds after
// it (with the rows), read-MB the heap of the rows alone.
func BenchmarkFinishFile(b *testing.B) {
	path, f := fileBatch(b)
	var read, live runtime.MemStats
	for b.Loop() {
		b.StopTimer()
		a := readFile(b, f, path)
		runtime.GC()
		runtime.ReadMemStats(&read)
		b.StartTimer()
		rep := a.Finish()
		b.StopTimer()
		runtime.GC()
		runtime.GC() // and what sync.Pools held
		runtime.ReadMemStats(&live)
		runtime.KeepAlive(rep)
		b.StartTimer()
	}
	b.ReportMetric(float64(read.HeapAlloc)/(1<<20), "read-MB")
	b.ReportMetric(float64(live.HeapAlloc)/(1<<20), "live-MB")
	b.ReportMetric(float64(live.HeapObjects), "live-objects")
}

// BenchmarkWriteXLSX writes the XLSX report of a generated batch of 2,000
// rows with every row in 原始数据.
func BenchmarkWriteXLSX(b *testing.B) {
	g := newGenerator(b, 3)
	_, rep := runAudit(b, g.f, g.genBatch(994).csvBytes(g.f), FormatCSV, Options{KeepCells: true})
	b.ReportAllocs()
	for b.Loop() {
		if err := rep.WriteXLSX(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// violatingBatch is about n rows of the generator's clean units (two
// periods each) with two errors each (more gold medals than events, a
// placeholder left): every row is in 违规明细 and has marked cells and
// comments in 原始数据.
func violatingBatch(tb testing.TB, n int) (*rules.Form, []byte) {
	g := newGenerator(tb, 5)
	b := g.genBatch(n / 2)
	for i := range b.rows {
		r := &b.rows[i]
		r.vals["gold_medals"] = 90
		delete(r.vals, "party_brands")
		r.text = map[string]string{"party_brands": "xx"}
	}
	return g.f, b.csvBytes(g.f)
}

// BenchmarkWriteXLSXViolations writes the XLSX report of 10,000 rows that
// all have violations (see violatingBatch); ns/row is the figure.
func BenchmarkWriteXLSXViolations(b *testing.B) {
	f, data := violatingBatch(b, 10000)
	_, rep := runAudit(b, f, data, FormatCSV, Options{KeepCells: true})
	b.ReportAllocs()
	for b.Loop() {
		if err := rep.WriteXLSX(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	rows := 0
	for range rep.Rows() {
		rows++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// BenchmarkWriteJSON writes the JSON report of a generated retailers
// batch of 20,000 rows (retailersCSV: about a third listed, thousands of
// findings and case files) by encoding/json as WriteJSON did before
// (writeJSONReflect, the anchor) and by WriteJSON on one and on
// GOMAXPROCS workers. cpu-ns/op (user and system time of the process,
// the garbage collector's included) is the figure to compare on a shared
// machine.
func BenchmarkWriteJSON(b *testing.B) {
	f := retailersForm(b)
	data := retailersCSV(20000, 1)
	for _, bc := range []struct {
		name    string
		workers int
		write   func(*Report, io.Writer) error
	}{
		{"encoding-json", 1, writeJSONReflect},
		{"workers=1", 1, (*Report).WriteJSON},
		{"workers=max", runtime.GOMAXPROCS(0), (*Report).WriteJSON},
	} {
		b.Run(bc.name, func(b *testing.B) {
			_, rep := runAudit(b, f, data, FormatCSV, Options{Workers: bc.workers})
			var n countWriter
			b.ReportAllocs()
			cpu := cpuNanos()
			for b.Loop() {
				if err := bc.write(rep, &n); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuNanos()-cpu)/float64(b.N), "cpu-ns/op")
			b.SetBytes(int64(n) / int64(b.N))
		})
	}
}

// countWriter counts the bytes written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
