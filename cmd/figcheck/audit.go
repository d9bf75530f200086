package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/store"
)

const auditUsage = "usage: figcheck audit [--rules DIR] [--form ID] [--format text|json|csv|xlsx] [-o OUT] [--input csv|xlsx|json|ndjson] [--encoding utf-8|gb18030] [--per INDICATOR] [--max-rows N] [--max-cells N] [--max-columns N] FILE...\n" +
	"       figcheck audit --db URL --form ID --period P [--format …] [-o OUT] [--per INDICATOR]"

// parseInterleaved parses flags that may come before, between or after the
// positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if code, ok := parseFlags(fs, args); !ok {
			return nil, code, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// runAudit reviews batches of units: it exits 0 when every row passes or
// warns and no check found an error, 1 when a row fails, a finding has
// severity error or a row could not be read, 2 on bad flags, rules or
// unreadable files.
func runAudit(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("audit", stderr)
	dir := fs.String("rules", configs.DefaultRulesDir, "rules `directory`")
	formID := fs.String("form", "", "form `id` (default: the only form of the rules)")
	format := fs.String("format", "text", "report format: text, json, csv or xlsx")
	out := fs.String("o", "", "write the report to `file` (default stdout)")
	input := fs.String("input", "", "input format: csv, xlsx, json or ndjson (default: from the file name or content)")
	encoding := fs.String("encoding", "", "CSV encoding: utf-8 or gb18030 (default: detect)")
	per := fs.String("per", "", "size `indicator` for peer outliers (compare figures per school, per student)")
	workers := fs.Int("workers", 0, "checker goroutines (default: one per CPU)")
	def := audit.DefaultLimits()
	var lim audit.Limits
	fs.IntVar(&lim.Rows, "max-rows", def.Rows, "most rows the audit keeps")
	fs.IntVar(&lim.Cells, "max-cells", def.Cells, "most figures it keeps (rows × the form's indicators, 8 bytes each)")
	fs.IntVar(&lim.Columns, "max-columns", def.Columns, "most columns of a header or keys of a JSON row")
	tf := tableFlags(fs)
	dbURL := fs.String("db", "", "audit the current submissions in this database (`URL`: sqlite:PATH or postgres://…) instead of files")
	periodName := fs.String("period", "", "with --db: the `period` to audit (its previous period is read too)")
	files, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if tf.table != "" {
		tf.db = *dbURL
		return runAuditTable(tf, *dir, *formID, *format, *out, files, stdout, stderr)
	}
	switch *format {
	case audit.OutText, audit.OutJSON, audit.OutCSV, audit.OutXLSX:
	default:
		fmt.Fprintln(stderr, auditUsage)
		return exitBadArgs
	}
	if (len(files) == 0) == (*dbURL == "") || (*dbURL != "") != (*periodName != "") {
		fmt.Fprintln(stderr, auditUsage)
		return exitBadArgs
	}
	f, code := loadForm("audit", *dir, *formID, stderr)
	if f == nil {
		return code
	}
	a, err := audit.New(f, audit.Options{Workers: *workers, Per: *per, KeepCells: *format == audit.OutXLSX, Limits: lim})
	if err != nil {
		fmt.Fprintf(stderr, "figcheck audit: --per: %v\n", err)
		return exitBadArgs
	}
	if *dbURL != "" {
		if err := readAuditStore(a, *dbURL, *periodName, stderr); err != nil {
			fmt.Fprintf(stderr, "figcheck audit: %v\n", err)
			a.Finish()
			return exitBadArgs
		}
	}
	for _, name := range files {
		if err := readAuditFile(a, name, *input, *encoding, stdin); err != nil {
			fmt.Fprintf(stderr, "figcheck audit: %s: %v\n", name, err)
			a.Finish()
			return exitBadArgs
		}
	}
	return writeAuditReport(a.Finish(), *format, *out, stdout, stderr)
}

// writeAuditReport writes rep to out (stdout for "" or "-") and returns
// the audit's exit code.
func writeAuditReport(rep *audit.Report, format, out string, stdout, stderr io.Writer) int {
	w := stdout
	var file *os.File
	var err error
	if out != "" && out != "-" {
		if file, err = os.Create(out); err != nil {
			fmt.Fprintf(stderr, "figcheck audit: %v\n", err)
			return exitBadArgs
		}
		w = file
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	err = rep.Write(bw, format)
	err = errors.Join(err, bw.Flush())
	if file != nil {
		err = errors.Join(err, file.Close())
	}
	if err != nil {
		fmt.Fprintf(stderr, "figcheck audit: writing the report: %v\n", err)
		return exitBadArgs
	}
	if rep.Summary.Fail > 0 || rep.Summary.Problems > 0 {
		return exitFail
	}
	for _, fd := range rep.Findings {
		if fd.Severity() == "error" {
			return exitFail
		}
	}
	return exitOK
}

// readAuditFile reads one file of the batch, or stdin for "-", as the
// service reads an upload (audit.Auditor.ReadInput).
func readAuditFile(a *audit.Auditor, name, format, encoding string, stdin io.Reader) error {
	var r io.Reader = stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		r = file
	}
	// The report names the file without its directory; its size and
	// SHA-256 tell it apart.
	if name != "-" {
		name = filepath.Base(name)
	}
	return a.ReadInput(r, strings.TrimPrefix(name, "-"), "", format, encoding)
}

// readAuditStore gives a the current submissions of a period, and of the
// period before, from the database at url.
func readAuditStore(a *audit.Auditor, url, p string, stderr io.Writer) error {
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	canonical, n, err := store.AuditPeriod(ctx, st, a, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "figcheck audit: %d current submissions of %s, %d of the period before, from %s\n", n[0], canonical, n[1], st.Backend())
	return nil
}
