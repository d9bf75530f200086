package audit

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/figcheck/figcheck/rules"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// rowByRow hides a reader's type from Read, which then reads it row by
// row through Next: the path the chunks of a CSV file must agree with.
type rowByRow struct{ RowReader }

// chunkCSV is a batch with what a chunk may meet: CRLF and LF lines, an
// empty line, a blank row, records with quotes (one over three lines),
// a duplicate, cells outside the header, rows with no unit or period, an
// explanation column, a later period read first, and a last line with no
// newline.
const chunkCSV = "单位,期间,集中学习次数,专题研讨次数,金牌数,参赛项目数,不存在的指标,party_brands,说明:" + exampleExplainedRule + "\r\n" +
	"东区,2025H1,24,12,3,8,1,18,\r\n" +
	"\r\n" +
	"西区,2025H1,20,abc,9,8,,15,理由\r\n" +
	" , ,  ,\n" +
	"\"北区\",2025H1,1,\"2\n3\",4,5,,6,\"多行\n说明\"\n" +
	"东区,2025H1,1,1,1,1,,1\n" +
	"南区,2025H1,18,10,2,6,,xx,,extra\n" +
	",2025H1,1,2,3,4,,5\n" +
	"东区,\n" +
	"中区,2025H1,22,11,2,7,,16\n" +
	"中区,2024H2,\"2\"\"1\",11,2,7,,16\n" +
	"东区,2024H2,22,11,2,7,,16"

// readReport reads data as CSV into a new audit and returns its JSON
// report, the rows kept and Read's error; seq reads it row by row, else
// in chunks of at most size bytes and lines lines.
func readReport(t testing.TB, f *rules.Form, data []byte, lim Limits, seq bool, size, lines int) (string, int, error) {
	t.Helper()
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := New(f, Options{Limits: lim, Now: func() time.Time { return stamp }})
	if err != nil {
		t.Fatal(err)
	}
	rr, err := a.NewReader(bytes.NewReader(data), FormatCSV, "")
	if err != nil {
		return "", 0, err
	}
	if seq {
		rr = rowByRow{rr}
	} else if size > 0 {
		c := rr.(*csvReader).r
		c.chunk.bytes, c.chunk.lines = size, lines
	}
	readErr := a.Read("batch.csv", rr)
	rep := a.Finish()
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.String(), rep.Summary.Rows, readErr
}

// TestCSVChunks: read in chunks cut at every line end, of up to one,
// two, three or any number of lines, a batch gives the report it gives
// read row by row, in UTF-8, with a BOM and in GB18030.
func TestCSVChunks(t *testing.T) {
	f := shippedForm(t)
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(chunkCSV)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, data string }{
		{"utf-8", chunkCSV}, {"bom", "\xef\xbb\xbf" + chunkCSV}, {"gb18030", gb}, {"newline at the end", chunkCSV + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.data)
			want, n, err := readReport(t, f, data, Limits{}, true, 0, 0)
			if err != nil || n != 7 {
				t.Fatalf("%d rows, error %v; want 7 rows", n, err)
			}
			if !strings.Contains(want, "重复出现") || !strings.Contains(want, "表头之外") || !strings.Contains(want, "北区") {
				t.Fatalf("the batch lost a row or a problem: %s", want)
			}
			// A chunk ends at the first line end size bytes or more after
			// its start: the sizes that end the first one at each line
			// end, and one past the end.
			sizes := []int{len(data) + 1}
			for i, c := range data {
				if c == '\n' {
					sizes = append(sizes, i+1)
				}
			}
			for _, size := range sizes {
				for _, lines := range []int{1, 2, 3, chunkLines} {
					got, _, err := readReport(t, f, data, Limits{}, false, size, lines)
					if err != nil || got != want {
						t.Fatalf("chunks of %d bytes, %d lines: error %v, report\n%s\nwant\n%s", size, lines, err, got, want)
					}
				}
			}
		})
	}
}

// TestCSVChunksStop: a limit met in a later chunk, a row too many or a
// line too long, ends the file where reading row by row ends it: the same
// error, the same rows kept.
func TestCSVChunksStop(t *testing.T) {
	f := shippedForm(t)
	var b strings.Builder
	b.WriteString("单位,期间,集中学习次数\n")
	for i := range 300 {
		b.WriteString("u" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ",2025H1,1\n")
	}
	rows := b.String()
	// The lines before the long one fill more than the readers' buffers:
	// some are read before the line is.
	long := strings.Repeat(rows, 60) + "u,2025H1," + strings.Repeat("9", 2000) + "\nv,2025H1,1\n"
	for _, tc := range []struct {
		name, data, limit string
		lim               Limits
	}{
		{"rows", rows, "rows", Limits{Rows: 150}},
		{"cells", rows, "cells", Limits{Cells: 200 * len(f.Indicators)}},
		{"line bytes", long, "line_bytes", Limits{LineBytes: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, n, wantErr := readReport(t, f, []byte(tc.data), tc.lim, true, 0, 0)
			var le *LimitError
			if !errors.As(wantErr, &le) || le.Limit != tc.limit || n == 0 {
				t.Fatalf("row by row: %d rows, error %v, want some rows and the %s limit", n, wantErr, tc.limit)
			}
			for _, size := range []int{1, 100, 1000, chunkBytes} {
				got, _, err := readReport(t, f, []byte(tc.data), tc.lim, false, size, 7)
				if !errors.Is(err, ErrLimit) || err.Error() != wantErr.Error() || got != want {
					t.Fatalf("chunks of %d bytes: error %v, want %v; same report %v", size, err, wantErr, got == want)
				}
			}
		})
	}
}

// FuzzCSVChunks: on any bytes, chunks of any size give what reading row
// by row gives.
func FuzzCSVChunks(f *testing.F) {
	for _, name := range []string{"batch_utf8.csv", "batch_gb18030.csv", "batch_bom.csv"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint16(7), uint8(2))
	}
	f.Add([]byte(chunkCSV), uint16(40), uint8(3))
	f.Add([]byte("单位,期间\n\"a,\"\"b\",c\n"), uint16(1), uint8(1))
	form := fuzzForm()
	f.Fuzz(func(t *testing.T, data []byte, size uint16, lines uint8) {
		lim := Limits{LineBytes: 4096, Rows: 1000}
		want, _, wantErr := readReport(t, form, data, lim, true, 0, 0)
		got, _, err := readReport(t, form, data, lim, false, int(size)+1, int(lines)+1)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) || got != want {
			t.Fatalf("chunks: error %v, report\n%s\nrow by row: error %v, report\n%s", err, got, wantErr, want)
		}
	})
}
