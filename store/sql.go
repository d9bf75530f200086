package store

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
)

// migrations are the schema's versions, applied by goose at Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// backend is what differs between SQLite and PostgreSQL; the queries
// themselves are written once, in db, with ? placeholders.
type backend interface {
	name() string
	// rebind turns ? placeholders into the backend's own.
	rebind(q string) string
	exec(ctx context.Context, q string, args ...any) (int64, error)
	// query calls each for every row; scan reads the row's columns.
	query(ctx context.Context, q string, args []any, each func(scan func(...any) error) error) error
	// insertDecisions adds rows, skipping ids already stored.
	insertDecisions(ctx context.Context, rows []decisionRow) error
	// isUnique reports a unique-constraint violation.
	isUnique(err error) bool
	ping(ctx context.Context) error
	close() error
}

// decisionRow is one entry as stored.
type decisionRow struct {
	id, form, unit, period, verdict string
	timeNS                          int64
	entry                           []byte
}

// db implements Store over a backend.
type db struct {
	b backend
}

func (d *db) Backend() string                { return d.b.name() }
func (d *db) Ping(ctx context.Context) error { return d.b.ping(ctx) }
func (d *db) Close() error                   { return d.b.close() }

const submissionCols = "id, form, unit, period, version, created_ns, verdict, ruleset, digest, actor, role, figures, previous, previous_source, explanations"

// addSubmission: the next version is computed in the INSERT itself; two
// replicas adding the same (form, unit, period) at once collide on the
// unique version constraint and the loser tries again.
const addSubmission = `INSERT INTO submissions (` + submissionCols + `, result, receipt)
SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), COALESCE(MAX(version), 0) + 1,
  CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
  CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT)
FROM submissions WHERE form = ? AND unit = ? AND period = ?
RETURNING version`

func (d *db) AddSubmission(ctx context.Context, s *Submission) error {
	figures, err1 := marshalJSON(s.Figures)
	previous, err2 := marshalJSON(s.Previous)
	explanations, err3 := marshalJSON(s.Explanations)
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("store: submission: %w", err)
	}
	s.ID = NewID()
	s.Time = time.Now().UTC()
	q := d.b.rebind(addSubmission)
	for attempt := 1; ; attempt++ {
		version := 0
		err := d.b.query(ctx, q, []any{
			s.ID, s.Form, s.Unit, s.Period, s.Time.UnixNano(), s.Verdict, s.Ruleset, s.Digest, s.Actor, s.Role,
			figures, previous, rawOr(s.PreviousSource), explanations, rawOr(s.Result), rawOr(s.Receipt),
			s.Form, s.Unit, s.Period,
		}, func(scan func(...any) error) error { return scan(&version) })
		if err == nil {
			s.Version = version
			return nil
		}
		if !d.b.isUnique(err) || attempt == 100 {
			return fmt.Errorf("store: adding a submission: %w", err)
		}
		// Another replica took this version: wait a little, at random so
		// that the losers do not collide again, and take the next.
		select {
		case <-time.After(time.Duration(1+mrand.IntN(4*attempt)) * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("store: adding a submission: %w", ctx.Err())
		}
	}
}

func (d *db) Submission(ctx context.Context, id string) (*Submission, error) {
	var out *Submission
	err := d.b.query(ctx, d.b.rebind(`SELECT `+submissionCols+`, result, receipt FROM submissions WHERE id = ?`), []any{id},
		func(scan func(...any) error) error {
			s, err := scanSubmission(scan, true)
			out = s
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if out == nil {
		return nil, ErrNotFound
	}
	return out, nil
}

func (d *db) Current(ctx context.Context, q Query) ([]*Submission, error) {
	where, args := conditions("s.", q.Form, q.Unit, q.Period)
	sql := `SELECT ` + prefixed("s.", submissionCols) + ` FROM submissions s WHERE ` + where +
		` s.version = (SELECT MAX(t.version) FROM submissions t WHERE t.form = s.form AND t.unit = s.unit AND t.period = s.period)
ORDER BY s.unit, s.period`
	if q.Limit > 0 {
		sql += " LIMIT ?" // a parameter: one prepared statement for every limit
		args = append(args, q.Limit)
	}
	out := []*Submission{}
	err := d.b.query(ctx, d.b.rebind(sql), args, func(scan func(...any) error) error {
		s, err := scanSubmission(scan, false)
		if err == nil {
			out = append(out, s)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return out, nil
}

// conditions is the WHERE clause (ending in AND) of the non-empty fields.
func conditions(prefix, form, unit, period string) (string, []any) {
	var b strings.Builder
	var args []any
	for _, c := range [...]struct{ col, v string }{{"form", form}, {"unit", unit}, {"period", period}} {
		if c.v != "" {
			b.WriteString(prefix + c.col + " = ? AND ")
			args = append(args, c.v)
		}
	}
	return b.String(), args
}

func prefixed(p, cols string) string {
	return p + strings.ReplaceAll(cols, ", ", ", "+p)
}

func scanSubmission(scan func(...any) error, full bool) (*Submission, error) {
	var s Submission
	var created int64
	var figures, previous, source, explanations, result, receipt string
	dst := []any{&s.ID, &s.Form, &s.Unit, &s.Period, &s.Version, &created, &s.Verdict, &s.Ruleset, &s.Digest,
		&s.Actor, &s.Role, &figures, &previous, &source, &explanations}
	if full {
		dst = append(dst, &result, &receipt)
	}
	if err := scan(dst...); err != nil {
		return nil, err
	}
	s.Time = time.Unix(0, created).UTC()
	err := errors.Join(unmarshalJSON(figures, &s.Figures), unmarshalJSON(previous, &s.Previous),
		unmarshalJSON(explanations, &s.Explanations))
	if err != nil {
		return nil, fmt.Errorf("submission %s: %w", s.ID, err)
	}
	s.PreviousSource = rawJSON(source)
	if full {
		s.Result, s.Receipt = rawJSON(result), rawJSON(receipt)
	}
	return &s, nil
}

// marshalJSON keeps numbers as the client wrote them (json.Number).
func marshalJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// unmarshalJSON reads numbers back as json.Number, so that stored figures
// are given to a later check exactly as they were submitted.
func unmarshalJSON(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	return dec.Decode(v)
}

func rawOr(r json.RawMessage) string {
	if len(r) == 0 {
		return "null"
	}
	return string(r)
}

func rawJSON(s string) json.RawMessage {
	if s == "" || s == "null" {
		return nil
	}
	return json.RawMessage(s)
}

func (d *db) WriteDecisions(ctx context.Context, batch []decisionlog.Entry) error {
	if len(batch) == 0 {
		return nil
	}
	rows := make([]decisionRow, len(batch))
	for i := range batch {
		rows[i] = rowOf(&batch[i])
	}
	if err := d.b.insertDecisions(ctx, rows); err != nil {
		return fmt.Errorf("store: decision log: %w", err)
	}
	return nil
}

func rowOf(e *decisionlog.Entry) decisionRow {
	return decisionRow{
		id: e.ID, form: e.Form, unit: e.Unit, period: e.Period, verdict: e.Verdict,
		timeNS: e.Time.UnixNano(), entry: decisionlog.AppendJSON(nil, e),
	}
}

func (d *db) Decisions(ctx context.Context, f decisionlog.Filter) ([]decisionlog.Entry, error) {
	where, args := conditions("", f.Form, f.Unit, f.Period)
	return d.entries(ctx, `SELECT entry FROM decisions WHERE `+where+` TRUE ORDER BY time_ns, id`, args)
}

// flaggedQuery finds the series (form, unit, period) in which a failed
// attempt is followed by one that does not fail — there is then such a
// pair next to each other — starting from the failures (a partial index)
// and looking for a later non-failing attempt through the period index;
// then it reads only those series' entries, series by series in the
// index's order (History orders each series by time). Whether a series is
// flagged (the figures of the failed rules changed) decisionlog.History
// decides, as it does for every sink.
const flaggedQuery = `WITH candidates AS (
  SELECT DISTINCT f.form, f.unit, f.period FROM decisions f
  WHERE %s f.verdict = 'fail' AND EXISTS (
    SELECT 1 FROM decisions n WHERE n.period = f.period AND n.form = f.form AND n.unit = f.unit
      AND n.time_ns >= f.time_ns AND n.id <> f.id AND n.verdict <> 'fail')
)
SELECT d.entry FROM decisions d JOIN candidates c ON d.form = c.form AND d.unit = c.unit AND d.period = c.period
WHERE %s TRUE ORDER BY d.period, d.form, d.unit, d.time_ns, d.id`

func (d *db) FlaggedDecisions(ctx context.Context, f decisionlog.Filter) ([]decisionlog.Entry, error) {
	// The filter again on the outer query lets the planner reach each
	// candidate series through an index instead of scanning for it.
	where, args := conditions("f.", f.Form, f.Unit, f.Period)
	outer, _ := conditions("d.", f.Form, f.Unit, f.Period)
	return d.entries(ctx, fmt.Sprintf(flaggedQuery, where, outer), append(args, args...))
}

func (d *db) entries(ctx context.Context, q string, args []any) ([]decisionlog.Entry, error) {
	out := []decisionlog.Entry{}
	err := d.b.query(ctx, d.b.rebind(q), args, func(scan func(...any) error) error {
		var doc []byte
		if err := scan(&doc); err != nil {
			return err
		}
		e, err := decisionlog.ParseJSON(doc)
		if err != nil {
			return fmt.Errorf("%w: %.80s", err, doc)
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: decision log: %w", err)
	}
	return out, nil
}

func (d *db) PurgeDecisions(ctx context.Context, before time.Time) (int64, error) {
	n, err := d.b.exec(ctx, d.b.rebind(`DELETE FROM decisions WHERE time_ns < ?`), before.UnixNano())
	if err != nil {
		return n, fmt.Errorf("store: decision log retention: %w", err)
	}
	return n, nil
}
