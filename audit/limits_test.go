package audit

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The hostile uploads of issue 12 (item 3), each small enough for a test;
// docs/security.md has the full-size runs.

// heapAfter is the live heap once fn has run and the collector has too.
func heapAfter(fn func()) uint64 {
	fn()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestEmptyRowsKeepLittle: rows with a unit and a period and no figure
// (about 96 builtin.required violations each; 30,000 of them took 4.5 GB)
// used to keep every violation; now a row keeps its figures and outcome, and the
// violations are rendered as the report is written.
func TestEmptyRowsKeepLittle(t *testing.T) {
	var b strings.Builder
	b.WriteString("单位,期间\n")
	const rows = 10000
	for i := range rows {
		fmt.Fprintf(&b, "u%d,2025H1\n", i)
	}
	f := shippedForm(t)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var rep *Report
	after := heapAfter(func() { rep = auditBytes(t, []byte(b.String()), FormatCSV, Options{}) })
	kept := int64(after) - int64(before.HeapAlloc)
	// 97 figures are 776 bytes a row, the rest of a row (record, unit,
	// the form loaded again) under 1.5 KB;
	// the violations alone were 860 MB and more.
	if limit := int64(rows * (8*len(f.Indicators) + 1536)); kept > limit {
		t.Errorf("the audit keeps %d MB, want under %d MB", kept>>20, limit>>20)
	}
	if rep.Summary.Fail != rows {
		t.Fatalf("fail %d, want %d", rep.Summary.Fail, rows)
	}
	n := 0
	for r := range rep.Rows() {
		n += len(r.Violations)
	}
	if n < rows*90 {
		t.Errorf("%d violations rendered, want about 96 per row", n)
	}
	runtime.KeepAlive(rep)
}

// TestRowAndCellLimits: a batch over the rows or cells limit is refused
// with a LimitError naming it; the rows before stay in the audit.
func TestRowAndCellLimits(t *testing.T) {
	f := shippedForm(t)
	var b strings.Builder
	b.WriteString("单位,期间\n")
	for i := range 200 {
		fmt.Fprintf(&b, "u%d,2025H1\n", i)
	}
	for _, tc := range []struct {
		lim   Limits
		limit string
	}{
		{Limits{Rows: 100}, "rows"},
		{Limits{Cells: 150 * len(f.Indicators)}, "cells"},
	} {
		a, _ := New(f, Options{Limits: tc.lim})
		rr, err := a.NewReader(strings.NewReader(b.String()), FormatCSV, "")
		if err != nil {
			t.Fatal(err)
		}
		err = a.Read("x.csv", rr)
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != tc.limit || !errors.Is(err, ErrLimit) {
			t.Errorf("%s: error %v, want the %s limit", tc.limit, err, tc.limit)
		}
		if rep := a.Finish(); rep.Summary.Rows == 0 || rep.Summary.Rows > 150 {
			t.Errorf("%s: %d rows kept", tc.limit, rep.Summary.Rows)
		}
	}
}

// TestLongHeaderRefused: a header line of 33.5 million columns (64 MiB)
// took 6.1 GB in encoding/csv; a line over LineBytes is refused before
// it is split, and a header of more than Columns columns before it is
// mapped.
func TestLongHeaderRefused(t *testing.T) {
	f := shippedForm(t)
	long := "单位,期间" + strings.Repeat(",", 3<<20) + "\nu,2025H1\n"
	wide := "单位,期间" + strings.Repeat(",x", 20000) + "\nu,2025H1\n"
	for _, tc := range []struct{ name, data, limit string }{
		{"long line", long, "line_bytes"},
		{"wide header", wide, "columns"},
	} {
		a, _ := New(f, Options{})
		rr, err := a.NewReader(strings.NewReader(tc.data), FormatCSV, "")
		if err != nil {
			t.Fatal(err)
		}
		err = a.Read("x.csv", rr)
		a.Finish()
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != tc.limit {
			t.Errorf("%s: error %v, want the %s limit", tc.name, err, tc.limit)
		}
	}
}

// TestProblemsCapped: 5,000 unknown columns are 100 problems and one line
// counting the rest; the summary counts them all.
func TestProblemsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("单位,期间")
	for i := range 5000 {
		fmt.Fprintf(&b, ",junk%d", i)
	}
	b.WriteString("\n甲,2025H1\n")
	rep := auditBytes(t, []byte(b.String()), FormatCSV, Options{})
	if rep.Summary.Problems != 5000 || len(rep.Problems) != 101 {
		t.Fatalf("summary %d problems, %d listed; want 5000 and 101", rep.Summary.Problems, len(rep.Problems))
	}
	if last := rep.Problems[100].Message; !strings.Contains(last, "5000") {
		t.Errorf("last problem %q does not count the rest", last)
	}
}

// workbook is an XLSX file with the shipped form's unit and period header
// (or without the unit column) and rows rows, plus extra zip members.
func workbook(t testing.TB, unitColumn bool, rows int, extra map[string][]byte) []byte {
	t.Helper()
	x := excelize.NewFile()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	head := []any{"单位", "期间", "金牌数"}
	if !unitColumn {
		head = []any{"名称", "期间", "金牌数"}
	}
	_ = sw.SetRow("A1", head)
	for i := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		_ = sw.SetRow(cell, []any{fmt.Sprintf("单位%d", i), "2025H1", i % 7})
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if len(extra) == 0 {
		return buf.Bytes()
	}
	// Copy the members and add the extra ones.
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		r, _ := f.OpenRaw()
		w, _ := zw.CreateRaw(&f.FileHeader)
		_, _ = w.Write(mustRead(t, r))
	}
	for name, data := range extra {
		w, _ := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, UncompressedSize64: 1000 << 20, CompressedSize64: uint64(len(data))})
		_, _ = w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func mustRead(t testing.TB, r interface{ Read([]byte) (int, error) }) []byte {
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestXLSXJunkMemberNotRead: a member that is not part of the workbook
// (here 1000 MiB declared, its data not even valid deflate) is not read:
// excelize used to read every member whole (3.15 GB for a 1000 MiB one),
// and this one would have failed the upload.
func TestXLSXJunkMemberNotRead(t *testing.T) {
	data := workbook(t, true, 3, map[string][]byte{"xl/media/junk.bin": bytes.Repeat([]byte{0xff}, 4096)})
	rep := auditBytes(t, data, FormatXLSX, Options{})
	if rep.Summary.Rows != 3 {
		t.Fatalf("%d rows, want 3 (problems %+v)", rep.Summary.Rows, rep.Problems)
	}
}

// TestXLSXSheetLimit: a workbook whose parts expand past SheetBytes is
// refused before anything is decompressed.
func TestXLSXSheetLimit(t *testing.T) {
	f := shippedForm(t)
	data := workbook(t, true, 20000, nil)
	a, _ := New(f, Options{Limits: Limits{SheetBytes: 256 << 10}})
	_, err := a.NewReader(bytes.NewReader(data), FormatXLSX, "")
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "sheet_bytes" {
		t.Fatalf("error %v, want the sheet_bytes limit", err)
	}
	a.Finish()
}

// TestXLSXTempFilesRemoved: a sheet large enough for excelize to unpack
// into a temporary file leaves nothing behind, whether the header is
// refused (no unit column: the file used to stay, 210 MB a time) or read
// to the end.
func TestXLSXTempFilesRemoved(t *testing.T) {
	f := shippedForm(t)
	old := xlsxMemory
	xlsxMemory = 1 << 10 // every sheet goes to a temporary file
	t.Cleanup(func() { xlsxMemory = old })
	for _, unit := range []bool{false, true} {
		dir := t.TempDir()
		a, _ := New(f, Options{Limits: Limits{tmpDir: dir}})
		rr, err := a.NewReader(bytes.NewReader(workbook(t, unit, 2000, nil)), FormatXLSX, "")
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) == 0 {
			t.Fatal("excelize made no temporary file: the test does not test")
		}
		err = a.Read("x.xlsx", rr)
		if unit == (err != nil) {
			t.Errorf("unit column %v: error %v", unit, err)
		}
		a.Finish()
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("unit column %v: %d files left in the temporary directory (%s)", unit, len(entries), entries[0].Name())
		}
	}
}

// FuzzXLSXReader feeds arbitrary bytes, and workbooks, to the XLSX
// reader under small limits: it may report problems or refuse the input
// (ErrFormat, ErrLimit), never panic, loop or leave a temporary file.
func FuzzXLSXReader(f *testing.F) {
	f.Add(workbook(f, true, 3, nil))
	f.Add(workbook(f, false, 2, nil))
	f.Add(workbook(f, true, 2, map[string][]byte{"xl/media/x.bin": {1, 2, 3}}))
	f.Add([]byte("PK\x03\x04"))
	form := fuzzForm()
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		a, _ := New(form, Options{Workers: 1, Limits: Limits{Rows: 50, SheetBytes: 4 << 20, tmpDir: dir}})
		rr, err := a.NewReader(bytes.NewReader(data), FormatXLSX, "")
		if err == nil {
			err = a.Read("fuzz.xlsx", rr)
		}
		if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrLimit) {
			t.Fatalf("error not wrapping ErrFormat or ErrLimit: %v", err)
		}
		if err := a.Finish().WriteCSV(io.Discard); err != nil {
			t.Fatal(err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("%d temporary files left", len(entries))
		}
	})
}

// TestJSONRowLimit: a JSON row or NDJSON line longer than LineBytes is
// refused, not decoded.
func TestJSONRowLimit(t *testing.T) {
	f := shippedForm(t)
	big := `{"unit":"甲","period":"2025H1","junk":"` + strings.Repeat("x", 2<<20) + `"}`
	for format, data := range map[string]string{FormatJSON: "[" + big + "]", FormatNDJSON: big + "\n"} {
		a, _ := New(f, Options{})
		rr, err := a.NewReader(strings.NewReader(data), format, "")
		if err == nil {
			err = a.Read("x."+format, rr)
		}
		a.Finish()
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != "line_bytes" {
			t.Errorf("%s: error %v, want the line_bytes limit", format, err)
		}
	}
}
