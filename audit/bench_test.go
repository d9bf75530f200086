package audit

import (
	"io"
	"os"
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
// TestWriteBatchCSV); it is skipped without it.
func BenchmarkAuditFile(b *testing.B) {
	path := os.Getenv("FIGCHECK_AUDIT_CSV")
	if path == "" {
		b.Skip("FIGCHECK_AUDIT_CSV is not set")
	}
	f := shippedForm(b)
	rows := 0
	for b.Loop() {
		file, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		a, _ := New(f, Options{})
		rr, err := NewReader(f, file, FormatCSV, "")
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Read(path, rr); err != nil {
			b.Fatal(err)
		}
		rows += a.Finish().Summary.Rows
		file.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
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
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rep.Rows)), "ns/row")
}
