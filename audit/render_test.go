package audit

import (
	"testing"
)

// BenchmarkRenderRows renders the listed rows of a generated retailers
// batch of 20,000 rows (about a third listed) on one goroutine, as the
// JSON report does (encoded) and as the other writers do (RowReports
// only); ns/row is per listed row.
func BenchmarkRenderRows(b *testing.B) {
	f := retailersForm(b)
	_, rep := runAudit(b, f, retailersCSV(20000, 1), FormatCSV, Options{Workers: 1})
	for _, encode := range []bool{true, false} {
		name := "rows"
		if encode {
			name = "json"
		}
		b.Run(name, func(b *testing.B) {
			rows := 0
			b.ReportAllocs()
			for b.Loop() {
				rep.rowChunks(encode, func(c *rowChunk) bool {
					rows += len(c.rows)
					return true
				})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}
