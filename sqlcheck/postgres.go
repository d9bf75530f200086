package sqlcheck

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
)

// ErrDialect is returned when a query runs on an engine it was not
// written for.
var ErrDialect = errors.New("query written for another dialect")

// RunPostgres runs q on a PostgreSQL connection (or Citus, Greenplum: any
// server speaking its protocol) and calls fn with each result row, as
// they arrive. The Row is reused: fn must not keep it.
func (q *Query) RunPostgres(ctx context.Context, conn *pgx.Conn, fn func(*Row) error) error {
	if q.Dialect.Name != "postgres" {
		return fmt.Errorf("%w: %s", ErrDialect, q.Dialect.Name)
	}
	for _, set := range q.Dialect.Setup {
		if _, err := conn.Exec(ctx, set); err != nil {
			return fmt.Errorf("%s: %w", set, err)
		}
	}
	rows, err := conn.Query(ctx, q.SQL)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		r           Row
		prev        *string
		figs, prevs []*float64
	)
	for rows.Next() {
		dest := []any{&r.Unit, &r.Period, &prev, &r.Violations, &r.EvalErrors, &r.SkippedInput, &r.SkippedWhen}
		if q.Figures {
			dest = append(dest, &figs, &prevs)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		r.PrevPeriod = ""
		if prev != nil {
			r.PrevPeriod = *prev
		}
		r.Figures, r.Previous = floats(figs), floats(prevs)
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// floats turns a float8[] with NULLs into figures with NaN.
func floats(xs []*float64) []float64 {
	if xs == nil {
		return nil
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.NaN()
		if x != nil {
			out[i] = *x
		}
	}
	return out
}
