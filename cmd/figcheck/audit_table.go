package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/sqlcheck"
	"github.com/jackc/pgx/v5"
)

// auditTable holds the flags (and --db, which runAudit defines) of figcheck audit --db URL --table T: the
// form's row rules run inside PostgreSQL by the query of figcheck sql.
type auditTable struct {
	db, table, columns string
}

func tableFlags(fs *flag.FlagSet) *auditTable {
	t := &auditTable{}
	fs.StringVar(&t.table, "table", "", "with --db: the `table` to check in the database, one row per unit and period, one column per indicator (see figcheck sql)")
	fs.StringVar(&t.columns, "columns", sqlcheck.ColumnsID, "with --table: column names, id or name")
	return t
}

const auditTableUsage = "usage: figcheck audit --db postgres://… --table T [--columns id|name] [--rules DIR] [--form ID] [--format text|json|csv] [-o OUT]"

// runAuditTable checks a table where it lives and writes the usual report
// of its rows (no batch checks: those need every row in figcheck).
func runAuditTable(t *auditTable, dir, formID, format, out string, files []string, stdout, stderr io.Writer) int {
	if t.db == "" || len(files) > 0 || (format != audit.OutText && format != audit.OutJSON && format != audit.OutCSV) {
		fmt.Fprintln(stderr, auditTableUsage)
		return exitBadArgs
	}
	f, code := loadForm("audit", dir, formID, stderr)
	if f == nil {
		return code
	}
	o := sqlcheck.Options{Dialect: "postgres", Table: t.table, Columns: t.columns, Figures: true}
	if _, err := sqlcheck.Build(f, o); err != nil {
		fmt.Fprintf(stderr, "figcheck audit: %v\n%s\n", err, auditTableUsage)
		return exitBadArgs
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	conn, err := pgx.Connect(ctx, t.db)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck audit: --db: %v\n", err)
		return exitBadArgs
	}
	defer conn.Close(context.Background())
	if o.Absent, err = sqlcheck.ColumnsPostgres(ctx, conn, f, o); err != nil {
		fmt.Fprintf(stderr, "figcheck audit: %v\n", err)
		return exitBadArgs
	}
	q, err := sqlcheck.Build(f, o)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck audit: %v\n", err)
		return exitBadArgs
	}
	for _, b := range q.Batch {
		fmt.Fprintf(stderr, "figcheck audit: --table: %s not run (%s)\n", b.Rule, b.Reason)
	}
	b, mismatches, err := sqlcheck.AuditPostgres(ctx, conn, q)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck audit: %s: %v\n", t.table, err)
		return exitBadArgs
	}
	if mismatches > 0 {
		fmt.Fprintf(stderr, "figcheck audit: %d rows where the database and the checker disagree (listed as problems)\n", mismatches)
	}
	return writeAuditReport(b.Report(), format, out, stdout, stderr)
}
