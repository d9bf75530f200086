package audit

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/figcheck/figcheck/rules"
)

// retailersLike is n rows shaped like R validate's retailers: each row its
// own unit, one period, 8 figures with some cells empty.
func retailersLike(n int) []byte {
	var b bytes.Buffer
	b.WriteString("unit,period,staff,turnover,other_rev,total_rev,staff_costs,total_costs,profit,vat\n")
	for i := range n {
		x := i*7919 + 13
		fmt.Fprintf(&b, "r%07d,2025,%d,%d,,%d,%d,%d,%d,\n", i+1, x%90, x%9000, x%9100, x%300, x%8800, x%300)
	}
	return b.Bytes()
}

func retailersForm(tb testing.TB) *rules.Form {
	tb.Helper()
	rs, err := rules.LoadDir("testdata/retailers")
	if err != nil {
		tb.Fatal(err)
	}
	f, _ := rs.Form(rs.FormIDs()[0])
	return f
}

// BenchmarkRead reads a batch into an audit and waits for the row checks,
// without the batch checks or a report: 100,000 retailers-like rows, or
// the CSV file named by FIGCHECK_AUDIT_CSV (of the shipped form, or of
// the form in FIGCHECK_AUDIT_RULES). B/row is the live heap the audit
// holds per row once read (after a GC), figures included.
func BenchmarkRead(b *testing.B) {
	f := retailersForm(b)
	var data []byte
	if path := os.Getenv("FIGCHECK_AUDIT_CSV"); path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
		f = shippedForm(b)
		if dir := os.Getenv("FIGCHECK_AUDIT_RULES"); dir != "" {
			rs, err := rules.LoadDir(dir)
			if err != nil {
				b.Fatal(err)
			}
			f, _ = rs.Form(rs.FormIDs()[0])
		}
	} else {
		data = retailersLike(100_000)
	}
	var perRow float64
	rows := 0
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		a, err := New(f, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rr, err := NewReader(f, bytes.NewReader(data), FormatCSV, "")
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Read("batch.csv", rr); err != nil {
			b.Fatal(err)
		}
		close(a.jobs)
		a.wg.Wait()
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := a.rowCount()
		perRow = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
		rows += n
		runtime.KeepAlive(a)
		b.StartTimer()
	}
	b.ReportMetric(perRow, "B/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}
