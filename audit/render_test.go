package audit

import (
	"testing"
)

// BenchmarkRenderRows renders the listed rows of a generated retailers
// batch of 20,000 rows (about a third listed) on one goroutine, as the
// JSON report does (encoded) and as the other writers do (RowReports
// only); cpu-ns/row (the process's user and system time, the garbage
// collector's included) is per listed row.
func BenchmarkRenderRows(b *testing.B) {
	f := retailersForm(b)
	a, rep := runAudit(b, f, retailersCSV(20000, 1), FormatCSV, Options{Workers: 1})
	listed := 0
	for _, rec := range a.records() {
		if rec.listed() {
			listed++
		}
	}
	for _, encode := range []bool{true, false} {
		name := "rows"
		if encode {
			name = "json"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuNanos()
			for b.Loop() {
				rep.rowChunks(encode, func(*rowChunk) bool { return true })
			}
			b.ReportMetric(float64(cpuNanos()-cpu)/float64(b.N*listed), "cpu-ns/row")
			b.ReportMetric(float64(listed), "rows/op")
		})
	}
}
