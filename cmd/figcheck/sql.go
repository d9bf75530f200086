package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/sqlcheck"
)

const sqlUsage = "usage: figcheck sql [--rules DIR] --form ID [--dialect postgres|duckdb] [--table T] [--columns id|name]"

// runSQL prints the query that checks a table of the form's rows. The
// rules it cannot translate are listed on stderr (and in the query's
// header); the exit code is then 1, so that a script notices.
func runSQL(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("sql", stderr)
	dir := fs.String("rules", configs.DefaultRulesDir, "rules `directory`")
	formID := fs.String("form", "", "form `id` (default: the only form of the rules)")
	dialect := fs.String("dialect", "postgres", "SQL dialect: "+strings.Join(sqlcheck.DialectNames, " or "))
	table := fs.String("table", "", "`table` to read (default: the form id)")
	columns := fs.String("columns", sqlcheck.ColumnsID, "column names: id (unit, period, indicator ids) or name (单位, 期间, Chinese names)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, sqlUsage)
		return exitBadArgs
	}
	f, code := loadForm("sql", *dir, *formID, stderr)
	if f == nil {
		return code
	}
	q, err := sqlcheck.Build(f, sqlcheck.Options{Dialect: *dialect, Table: *table, Columns: *columns})
	if err != nil {
		fmt.Fprintf(stderr, "figcheck sql: %v\n%s\n", err, sqlUsage)
		return exitBadArgs
	}
	fmt.Fprint(stdout, q.SQL)
	for _, u := range q.Untranslated {
		fmt.Fprintf(stderr, "figcheck sql: rule %s not translated: %s\n", u.Rule, u.Reason)
	}
	if len(q.Untranslated) > 0 {
		return exitFail
	}
	return exitOK
}

// loadForm loads the rules and picks the form: the one named, or the only
// one. It prints the problem and returns the exit code when it cannot.
func loadForm(cmd, dir, id string, stderr io.Writer) (*rules.Form, int) {
	rs, err := configs.LoadRules(dir)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck %s: loading rules:\n%v\n", cmd, err)
		return nil, exitBadArgs
	}
	f, err := checker.FormOrOnly(rs, id)
	if err != nil {
		if errors.Is(err, checker.ErrMissingForm) {
			fmt.Fprintf(stderr, "figcheck %s: give --form (known: %v)\n", cmd, rs.FormIDs())
		} else {
			fmt.Fprintf(stderr, "figcheck %s: %v\n", cmd, err)
		}
		return nil, exitBadArgs
	}
	return f, exitOK
}
