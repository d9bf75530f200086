package audit

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules"
)

// TestRenderMatchesCheck: a listed row rendered from its outcome
// (checker.Render), its fields in maps or left for the JSON encoder, is
// the row checked again in full by CheckValues, on generated batches of
// the shipped form (clean units with planted problems; random cells with
// rows before their previous period, checked again at the end; with
// OnCheck) and on retailers rows with missing figures, zeros (division by
// zero: evaluation errors), cells as written and explanations.
func TestRenderMatchesCheck(t *testing.T) {
	shipped := shippedForm(t)
	_, violating := violatingBatch(t, 400)
	n := map[string]int{}
	for _, tc := range []struct {
		name string
		f    *rules.Form
		data []byte
		o    Options
	}{
		{"generated", shipped, newGenerator(t, 9).genBatch(300).csvBytes(shipped), Options{}},
		{"violating", shipped, violating, Options{}},
		{"random", shipped, randomCSV(shipped, 400, 60), Options{}},
		{"shuffled", shipped, randomCSV(shipped, 200, 3), Options{}},
		{"oncheck", shipped, newGenerator(t, 10).genBatch(100).csvBytes(shipped),
			Options{OnCheck: func(*checker.Submission, [32]byte, *checker.Result) {}}},
		{"retailers", retailersForm(t), explainedRetailers(600), Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := runAudit(t, tc.f, tc.data, FormatCSV, tc.o)
			var res checker.Result
			var vals checker.Values
			for _, rec := range a.records() {
				if !rec.listed() {
					continue
				}
				if a.outcome(rec).rendered {
					n["rendered"]++
				} else {
					n["checked again"]++
				}
				if rec.flags&flagStale != 0 {
					n["stale"]++
				}
				if rec.flags&flagRaw != 0 {
					n["raw"]++
				}
				rr, v := a.render(rec)
				full := a.checker.CheckValues(a.form, v, "")
				want := rr
				want.Verdict, want.Summary, want.Violations, want.EvalErrors = full.Verdict, full.Summary, full.Violations, full.EvalErrors
				if len(full.EvalErrors) > 0 {
					n["eval errors"]++
				}
				if full.Summary.Explained > 0 {
					n["explained"]++
				}
				a.valuesTo(&vals, rec, a.prevOf(rec))
				lazy := a.renderTo(rec, &vals, &res, checker.NewFormJSON(a.form))
				for _, got := range []RowReport{rr, lazy} {
					if g, w := rowJSON(&got), rowJSON(&want); !bytes.Equal(g, w) {
						t.Fatalf("row %d rendered:\n%s\nchecked:\n%s", rec.line, g, w)
					}
				}
			}
		})
	}
	for _, k := range []string{"rendered", "checked again", "stale", "raw", "eval errors", "explained"} {
		if n[k] == 0 {
			t.Errorf("no listed row %s: %v", k, n)
		}
	}
}

// explainedRetailers is n retailers rows with cells missing, zero, as
// written ("1,200", "xx", fractions) or plain, and explanations of
// warnings (and of no rule) in 说明 columns.
func explainedRetailers(n int) []byte {
	rng := rand.New(rand.NewPCG(uint64(n), 4))
	var b bytes.Buffer
	b.WriteString("unit,period,staff,turnover,other_rev,total_rev,staff_costs,total_costs,profit,vat,说明:r.profit_share,说明:no.such_rule\n")
	for i := range n {
		fmt.Fprintf(&b, "r%05d,2025", i)
		for range 8 {
			b.WriteByte(',')
			switch k := rng.IntN(20); {
			case k == 0:
			case k < 4:
				b.WriteString("0")
			case k == 4:
				b.WriteString(`"1,200"`)
			case k == 5:
				b.WriteString("xx")
			case k == 6:
				b.WriteString("-0")
			default:
				fmt.Fprint(&b, rng.IntN(3000)-200)
			}
		}
		switch rng.IntN(8) {
		case 0:
			b.WriteString(",利润率高属实,")
		case 1:
			b.WriteString(",,x")
		default:
			b.WriteString(",,")
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// rowJSON is a row as the JSON report writes it.
func rowJSON(r *RowReport) []byte {
	var e jsonenc.Encoder
	r.encodeJSON(&e)
	return e.B
}

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
