package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"

	"github.com/figcheck/figcheck/decisionlog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrationLockID is the PostgreSQL advisory lock the migrations run
// under: replicas starting together wait for the first to finish.
const migrationLockID = 0x66696763686b // "figchk"

// postgresBackend is the shared store of a deployment.
type postgresBackend struct {
	pool *pgxpool.Pool
}

func openPostgres(ctx context.Context, url string, opts Options) (Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrURL, Redact(url), err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	} else if cfg.MaxConns < 10 {
		cfg.MaxConns = 10
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: postgres %s: %w", Redact(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: postgres %s: %w", Redact(url), err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	sdb := stdlib.OpenDBFromPool(pool)
	err = migrate(ctx, goose.DialectPostgres, sdb, opts, locker)
	sdb.Close() // the pool stays open
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: postgres %s: %w", Redact(url), err)
	}
	opts.Logger.Info("store open", "backend", "postgres", "url", Redact(url))
	return &db{b: &postgresBackend{pool: pool}}, nil
}

// migrate applies the embedded migrations, under locker when one is given.
func migrate(ctx context.Context, dialect goose.Dialect, sdb *sql.DB, opts Options, locker lock.SessionLocker) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	po := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if locker != nil {
		po = append(po, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sdb, sub, po...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	for _, r := range results {
		opts.Logger.Info("store migrated", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

func (*postgresBackend) name() string { return "postgres" }

// rebind numbers the placeholders: ? becomes $1, $2, … (the queries hold
// no ? inside strings).
func (*postgresBackend) rebind(q string) string {
	out := make([]byte, 0, len(q)+16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = fmt.Appendf(out, "$%d", n)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

func (b *postgresBackend) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := b.pool.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (b *postgresBackend) query(ctx context.Context, q string, args []any, each func(scan func(...any) error) error) error {
	rows, err := b.pool.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// insertDecisions adds the batch in one statement: arrays of the columns
// unnested into rows, ids already stored skipped.
func (b *postgresBackend) insertDecisions(ctx context.Context, rows []decisionRow) error {
	n := len(rows)
	ids, forms, units, periods, verdicts, docs := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	times := make([]int64, n)
	for i, r := range rows {
		ids[i], forms[i], units[i], periods[i], verdicts[i], docs[i], times[i] = r.id, r.form, r.unit, r.period, r.verdict, string(r.entry), r.timeNS
	}
	_, err := b.pool.Exec(ctx, `INSERT INTO decisions (id, time_ns, form, unit, period, verdict, entry)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
ON CONFLICT (id) DO NOTHING`, ids, times, forms, units, periods, verdicts, docs)
	return err
}

func (*postgresBackend) isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (b *postgresBackend) ping(ctx context.Context) error { return b.pool.Ping(ctx) }
func (b *postgresBackend) close() error {
	b.pool.Close()
	return nil
}

// CopyDecisions bulk-loads entries with COPY, for benchmarks and imports
// into PostgreSQL. Unlike WriteDecisions it does not skip ids already
// stored: a repeated id fails the whole copy.
func CopyDecisions(ctx context.Context, s Store, entries []decisionlog.Entry) (int64, error) {
	d, ok := s.(*db)
	if !ok {
		return 0, errors.New("store: not a database store")
	}
	pb, ok := d.b.(*postgresBackend)
	if !ok {
		return 0, errors.New("store: COPY needs PostgreSQL")
	}
	return pb.pool.CopyFrom(ctx, pgx.Identifier{"decisions"},
		[]string{"id", "time_ns", "form", "unit", "period", "verdict", "entry"},
		pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
			r := rowOf(&entries[i])
			return []any{r.id, r.timeNS, r.form, r.unit, r.period, r.verdict, string(r.entry)}, nil
		}))
}
