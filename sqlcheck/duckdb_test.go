//go:build cgo

// DuckDB needs cgo (its Go driver links the engine's C++ library), so its
// tests are built only with cgo: the figcheck binary itself stays pure Go.

package sqlcheck_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/sqlcheck"
)

// duckDB opens an in-memory DuckDB for t.
func duckDB(t testing.TB) (*duckdb.Connector, *sql.DB) {
	t.Helper()
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close(); c.Close() })
	return c, db
}

// loadDuckDB creates the form's table and appends rows to it.
func loadDuckDB(t testing.TB, db *sql.DB, f *rules.Form, table string, byName bool, rows []genRow) {
	t.Helper()
	ctx := context.Background()
	var ddl strings.Builder
	unit, period := "unit", "period"
	if byName {
		unit, period = "单位", "期间"
	}
	fmt.Fprintf(&ddl, "CREATE TABLE %q (%q VARCHAR NOT NULL, %q VARCHAR NOT NULL", table, unit, period)
	for _, ind := range f.Indicators {
		name := ind.ID
		if byName {
			name = ind.Name
		}
		fmt.Fprintf(&ddl, ", %q DOUBLE", name)
	}
	ddl.WriteString(")")
	if _, err := db.ExecContext(ctx, ddl.String()); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return err
		}
		for _, r := range rows {
			vals := []driver.Value{r.unit, r.period}
			for _, x := range r.vals {
				if math.IsNaN(x) {
					vals = append(vals, nil)
				} else {
					vals = append(vals, x)
				}
			}
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		t.Fatalf("appending: %v", err)
	}
}

func runDuckDB(t testing.TB, db *sql.DB, q *sqlcheck.Query) []sqlcheck.Row {
	t.Helper()
	rows, err := db.Query(q.SQL)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer rows.Close()
	var out []sqlcheck.Row
	for rows.Next() {
		var r sqlcheck.Row
		var prev sql.NullString
		var lists [4]any
		if err := rows.Scan(&r.Unit, &r.Period, &prev, &lists[0], &lists[1], &lists[2], &lists[3]); err != nil {
			t.Fatal(err)
		}
		r.PrevPeriod = prev.String
		for i, l := range []*[]string{&r.Violations, &r.EvalErrors, &r.SkippedInput, &r.SkippedWhen} {
			items, ok := lists[i].([]any)
			if !ok {
				t.Fatalf("list column %d is %T", i, lists[i])
			}
			for _, it := range items {
				*l = append(*l, it.(string))
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func duckDBEngine(t testing.TB) engine {
	_, db := duckDB(t)
	var version string
	if err := db.QueryRow("SELECT version()").Scan(&version); err == nil {
		t.Logf("DuckDB %s", version)
	}
	return engine{dialect: "duckdb", seed: 11,
		load: func(t testing.TB, f *rules.Form, table string, byName bool, rows []genRow) {
			loadDuckDB(t, db, f, table, byName, rows)
		},
		run: func(t testing.TB, q *sqlcheck.Query) []sqlcheck.Row { return runDuckDB(t, db, q) },
	}
}

func TestAgreementDuckDB(t *testing.T) { duckDBEngine(t).agreement(t) }

func TestRuleTestsDuckDB(t *testing.T) { duckDBEngine(t).ruleTests(t) }
