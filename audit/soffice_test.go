package audit

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireSoffice finds LibreOffice and poppler's pdftotext, or skips; under
// CI=true or FIGCHECK_REQUIRE_SOFFICE=1 (set by .ci/run, which installs
// them) a missing tool fails the test.
func requireSoffice(t *testing.T) (soffice, pdftotext string) {
	t.Helper()
	var missing []string
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		missing = append(missing, "soffice (apt-get install --no-install-recommends libreoffice-calc)")
	}
	pdftotext, err = exec.LookPath("pdftotext")
	if err != nil {
		missing = append(missing, "pdftotext (apt-get install poppler-utils)")
	}
	if len(missing) > 0 {
		msg := "not found: " + strings.Join(missing, ", ") + "; the LibreOffice conversion test is skipped"
		if os.Getenv("CI") == "true" || os.Getenv("FIGCHECK_REQUIRE_SOFFICE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return soffice, pdftotext
}

// TestWorkbookPrintsWithLibreOffice converts the example batch's report to
// PDF with LibreOffice: every page of a table sheet holds the whole width
// of the table (its first and last header on the same page, repeated on
// each page), so no row is cut column-wise.
func TestWorkbookPrintsWithLibreOffice(t *testing.T) {
	soffice, pdftotext := requireSoffice(t)
	dir := t.TempDir()
	rep := exampleReport(t, Options{KeepCells: true, Now: fixedNow})
	var buf bytes.Buffer
	if err := rep.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	book := filepath.Join(dir, "report.xlsx")
	if err := os.WriteFile(book, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A profile of its own: no trace in the user's, no clash with an
	// office already running.
	cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "pdf", "--outdir", dir, book)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	pdf := filepath.Join(dir, "report.pdf")
	if dst := os.Getenv("FIGCHECK_REPORT_PDF"); dst != "" {
		if b, err := os.ReadFile(pdf); err == nil {
			_ = os.WriteFile(dst, b, 0o644)
		}
	}
	out, err := exec.CommandContext(ctx, pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(strings.TrimRight(string(out), "\f"), "\f")
	for _, c := range []struct {
		sheet       string
		first, last string
		rows        int
	}{
		{SheetViolations, "文件", "涉及指标及数值", countViolations(rep)},
		{SheetCases, "排名", "主要证据", len(rep.Cases)},
		{SheetFindings, "类型", "说明", len(rep.Findings)},
	} {
		n := 0
		for i, p := range pages {
			head, _, _ := strings.Cut(strings.TrimLeft(p, "\n"), "\n")
			if !strings.HasSuffix(strings.TrimSpace(head), c.sheet) {
				continue
			}
			n++
			if !strings.Contains(p, c.first) || !strings.Contains(p, c.last) {
				t.Errorf("page %d (%s): the table is cut across pages: header %q or %q missing", i+1, c.sheet, c.first, c.last)
			}
		}
		if n == 0 || n > max(1, c.rows/2) {
			t.Errorf("%s prints on %d pages for %d rows", c.sheet, n, c.rows)
		}
	}
}

func countViolations(rep *Report) int {
	n := 0
	for _, r := range rep.Rows {
		n += len(r.Violations) + len(r.EvalErrors)
	}
	return n
}
