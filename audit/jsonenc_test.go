package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/rules"
)

// writeJSONReflect is WriteJSON as it was before the hand-written
// encoders: encoding/json, element by element, the rows from Rows. It is
// the reference the encoders are held to.
func writeJSONReflect(r *Report, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	put := func(prefix string, v any, cut int) error {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, _ = bw.WriteString(prefix)
		_, err := bw.Write(buf.Bytes()[:buf.Len()-cut])
		return err
	}
	if err := put("", r.ReportHead, 2); err != nil {
		return err
	}
	list := func(key string, each iter.Seq[any]) error {
		prefix := `,"` + key + `":[`
		var err error
		each(func(v any) bool {
			err = put(prefix, v, 1)
			prefix = ","
			return err == nil
		})
		if err != nil {
			return err
		}
		if prefix != "," {
			_, _ = bw.WriteString(prefix)
		}
		_, err = bw.WriteString("]")
		return err
	}
	rows := func(yield func(any) bool) {
		for row := range r.Rows() {
			if !yield(row) {
				return
			}
		}
	}
	if err := errors.Join(list("rows", rows), list("findings", elemsOf(r.Findings)), list("problems", elemsOf(r.Problems))); err != nil {
		return err
	}
	_, _ = bw.WriteString("}\n")
	return bw.Flush()
}

func elemsOf[T any](s []T) iter.Seq[any] {
	return func(yield func(any) bool) {
		for i := range s {
			if !yield(&s[i]) {
				return
			}
		}
	}
}

// retailersForm is the form of testdata/retailers.
func retailersForm(t testing.TB) *rules.Form {
	t.Helper()
	rs, err := rules.LoadDir("testdata/retailers")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rs.Form("retailers")
	if !ok {
		t.Fatal("no retailers form")
	}
	return f
}

// retailersCSV is n supermarkets shaped like validate's retailers, one
// period: sizes over three decades, figures missing now and then, the
// balances broken in some rows and figures ten times too big in others.
func retailersCSV(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 16))
	var b strings.Builder
	b.WriteString("unit,period,staff,turnover,other_rev,total_rev,staff_costs,total_costs,profit,vat\n")
	for i := range n {
		staff := math.Round(math.Exp(rng.Float64()*7)) + 1
		turnover := math.Round(staff * (40 + 160*rng.Float64()))
		other := math.Round(turnover * 0.05 * rng.Float64())
		total := turnover + other
		costs := math.Round(total * (0.7 + 0.4*rng.Float64()))
		cells := []float64{staff, turnover, other, total, math.Round(staff * 30 * rng.Float64()), costs, total - costs, math.Round(turnover * (0.8 + 0.4*rng.Float64()))}
		switch rng.IntN(10) {
		case 0:
			cells[6] += 7 // the profit does not balance
		case 1:
			cells[1+rng.IntN(7)] *= 10
		case 2:
			cells[rng.IntN(8)] = math.NaN() // missing
		}
		fmt.Fprintf(&b, "r%05d,2025", i)
		for _, x := range cells {
			b.WriteByte(',')
			if !math.IsNaN(x) {
				fmt.Fprint(&b, x)
			}
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// TestJSONEncoders: the JSON report written by the hand-written encoders,
// on one goroutine or several, is byte for byte the one encoding/json
// writes, on the oracle batches, generated batches of the shipped and the
// small form, and a retailers batch.
func TestJSONEncoders(t *testing.T) {
	type input struct {
		name string
		f    *rules.Form
		data []byte
	}
	shipped := shippedForm(t)
	var inputs []input
	for _, in := range oracleInputs {
		data, err := os.ReadFile(filepath.Join("testdata", "oracle", in.name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{"oracle/" + in.name, shipped, data})
	}
	g := newGenerator(t, 16)
	inputs = append(inputs, input{"generated", shipped, g.genBatch(400).csvBytes(shipped)})
	sg := newSmallGenerator(t, 16)
	inputs = append(inputs, input{"small form", sg.f, sg.genBatch(300).csvBytes(sg.f)})
	inputs = append(inputs, input{"retailers", retailersForm(t), retailersCSV(3000, 1)})
	for _, in := range inputs {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers=%d", in.name, workers), func(t *testing.T) {
				_, rep := runAudit(t, in.f, in.data, FormatCSV, Options{Workers: workers})
				var want, got bytes.Buffer
				if err := writeJSONReflect(rep, &want); err != nil {
					t.Fatal(err)
				}
				if err := rep.WriteJSON(&got); err != nil {
					t.Fatal(err)
				}
				if len(rep.Findings) == 0 || len(rep.Cases) == 0 || !bytes.Contains(want.Bytes(), []byte(`"violations":[{`)) {
					t.Errorf("%d findings, %d cases: the batch does not exercise every encoder", len(rep.Findings), len(rep.Cases))
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("the report differs from encoding/json's at byte %d of %d:\n got %s\nwant %s",
						diffAt(got.Bytes(), want.Bytes()), want.Len(), around(got.Bytes(), want.Bytes()), around(want.Bytes(), got.Bytes()))
				}
			})
		}
	}
}

func diffAt(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// around is a's bytes around its first difference with b.
func around(a, b []byte) string {
	i := diffAt(a, b)
	return string(a[max(0, i-80):min(len(a), i+80)])
}
