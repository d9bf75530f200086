package sqlcheck

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/jackc/pgx/v5"
)

// ErrDuplicateRows is returned by AuditPostgres for a table with more than
// one row for a (unit, period): the previous period would be ambiguous.
var ErrDuplicateRows = errors.New("more than one row for a (unit, period)")

// ErrNoFigures is returned by AuditPostgres for a query built without
// Options.Figures.
var ErrNoFigures = errors.New("query built without figures")

// DuplicatesSQL lists the (unit, period) pairs with more than one row, at
// most 20, the commonest first.
func (q *Query) DuplicatesSQL() string {
	u, p := quoteIdent(q.UnitColumn), quoteIdent(q.PeriodColumn)
	return fmt.Sprintf("SELECT CAST(%s AS %s), CAST(%s AS %s), count(*) FROM %s WHERE %s IS NOT NULL AND %s IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 3 DESC, 1, 2 LIMIT 20",
		u, q.Dialect.Text, p, q.Dialect.Text, quoteTable(q.Table), u, p)
}

// MissingKeySQL counts the rows without a unit or a period, which the
// query leaves out as figcheck audit does.
func (q *Query) MissingKeySQL() string {
	u, p := quoteIdent(q.UnitColumn), quoteIdent(q.PeriodColumn)
	return fmt.Sprintf("SELECT count(*) FROM %s WHERE %s IS NULL OR %s IS NULL OR CAST(%s AS %s) = '' OR CAST(%s AS %s) = ''",
		quoteTable(q.Table), u, p, u, q.Dialect.Text, p, q.Dialect.Text)
}

// ColumnsPostgres returns the indicator columns the form's table lacks on
// conn, for Options.Absent. The table must exist and have the key columns.
func ColumnsPostgres(ctx context.Context, conn *pgx.Conn, f *rules.Form, o Options) (map[string]bool, error) {
	q, err := Build(f, o)
	if err != nil {
		return nil, err
	}
	schema, table, ok := strings.Cut(q.Table, ".")
	if !ok {
		schema, table = "", q.Table
	}
	rows, err := conn.Query(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_name = $1 AND table_schema = CASE WHEN $2 = '' THEN current_schema() ELSE $2 END`, table, schema)
	if err != nil {
		return nil, err
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if len(have) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoTable, q.Table)
	}
	var missing []string
	for _, k := range []string{q.UnitColumn, q.PeriodColumn} {
		if !slices.Contains(have, k) {
			missing = append(missing, k)
		}
	}
	if missing != nil {
		return nil, fmt.Errorf("table %s: %w: %s", q.Table, ErrNoKey, strings.Join(missing, ", "))
	}
	absent := map[string]bool{}
	for _, ind := range f.Indicators {
		if col := q.Column(ind); !slices.Contains(have, col) {
			absent[col] = true
		}
	}
	return absent, nil
}

// Errors of ColumnsPostgres.
var (
	ErrNoTable = errors.New("no such table")
	ErrNoKey   = errors.New("no unit or period column")
)

// KindMismatch is the kind of the problems of rows where the database and
// the checker disagree: the report lists the first of them and counts the
// others.
const KindMismatch = "db_mismatch"

// AuditPostgres checks q's table on conn and returns the report of its
// rows (the table its source). The database decides, for every row, which
// rules it breaks; the rows it passes are only counted. The rows it flags
// are given, with the figures the query returns, to the checker, which
// writes their messages, fields and check ids exactly as figcheck audit
// does (when the report is written: it keeps their figures); where the
// checker's verdict on such a row differs from the database's, the row is
// reported as a problem (it would be a translation bug), and mismatches
// counts them. Rules the query does not evaluate are listed as problems
// too. q must be built with Figures.
func AuditPostgres(ctx context.Context, conn *pgx.Conn, q *Query) (b *audit.RowsReport, mismatches int, err error) {
	if !q.Figures {
		return nil, 0, ErrNoFigures
	}
	// The checker evaluates only the rules the database did.
	sub := *q.Form
	sub.Rules = q.Rules
	var c checker.Checker
	b = audit.NewRowsReport(q.Form, q.Table, func(v *checker.Values) *checker.Result {
		res := c.CheckValues(&sub, v, "")
		res.CheckID = checker.CheckID(q.Form, v.Digest(q.Form))
		return res
	})
	if err := q.checkKeys(ctx, conn, b); err != nil {
		return nil, 0, err
	}
	if len(q.Absent) > 0 {
		cols := slices.Sorted(maps.Keys(q.Absent))
		b.Problem(audit.Problem{Column: strings.Join(cols, "、"), Message: fmt.Sprintf("表中没有%d个指标列,按未填写处理", len(cols))})
	}
	for _, u := range q.Untranslated {
		b.Problem(audit.Problem{Message: fmt.Sprintf("规则 %s 无法转换为 SQL,本次未检查(%s)", u.Rule, oneLine(u.Reason))})
	}
	evaluated := q.Evaluated()
	err = q.RunPostgres(ctx, conn, func(r *Row) error {
		if !r.Problem() {
			return b.Pass(r.Unit, r.Period)
		}
		res, err := b.Add(r.Values(q.Form))
		if err != nil {
			return err
		}
		viol, errs, _, _ := Entries(res, evaluated)
		got := r.Sorted()
		if !slices.Equal(viol, got.Violations) || !slices.Equal(errs, got.EvalErrors) {
			mismatches++
			b.ProblemOf(KindMismatch, audit.Problem{Unit: r.Unit, Period: r.Period, Message: fmt.Sprintf(
				"数据库与检查器的结论不一致:数据库 违规[%s] 无法计算[%s],检查器 违规[%s] 无法计算[%s]",
				strings.Join(got.Violations, " "), strings.Join(got.EvalErrors, " "), strings.Join(viol, " "), strings.Join(errs, " "))})
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return b, mismatches, nil
}

// checkKeys refuses a table with duplicate (unit, period) rows and
// reports those without a unit or period, which are not checked.
func (q *Query) checkKeys(ctx context.Context, conn *pgx.Conn, b *audit.RowsReport) error {
	rows, err := conn.Query(ctx, q.DuplicatesSQL())
	if err != nil {
		return err
	}
	var dups []string
	for rows.Next() {
		var unit, period string
		var n int64
		if err := rows.Scan(&unit, &period, &n); err != nil {
			rows.Close()
			return err
		}
		dups = append(dups, fmt.Sprintf("%s %s ×%d", unit, period, n))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(dups) > 0 {
		return fmt.Errorf("table %s: %w (make (%s, %s) its primary key): %s", q.Table, ErrDuplicateRows, q.UnitColumn, q.PeriodColumn, strings.Join(dups, ", "))
	}
	var missing int64
	if err := conn.QueryRow(ctx, q.MissingKeySQL()).Scan(&missing); err != nil {
		return err
	}
	if missing > 0 {
		b.Problem(audit.Problem{Column: q.UnitColumn + "/" + q.PeriodColumn, Message: fmt.Sprintf("%d 行缺少单位或期间,未检查", missing)})
	}
	return nil
}
