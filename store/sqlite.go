package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteBackend is the embedded store: one file, WAL journal, writers
// serialised by SQLite (transactions begin IMMEDIATE and wait on a busy
// timeout rather than fail).
type sqliteBackend struct {
	db    *sql.DB
	stmts sync.Map // query text → *sql.Stmt: preparing costs more than a lookup by key
}

func openSQLite(ctx context.Context, path string, opts Options) (Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	// One file has one writer at a time: a single connection for the
	// migrations, then a small pool (WAL lets readers run beside it).
	sdb.SetMaxOpenConns(1)
	if err := migrate(ctx, goose.DialectSQLite3, sdb, opts, nil); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(4)
	opts.Logger.Info("store open", "backend", "sqlite", "path", path)
	return &db{b: &sqliteBackend{db: sdb}}, nil
}

func (*sqliteBackend) name() string           { return "sqlite" }
func (*sqliteBackend) rebind(q string) string { return q }

// stmt returns the prepared statement of q, preparing it once.
func (b *sqliteBackend) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := b.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := b.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := b.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (b *sqliteBackend) exec(ctx context.Context, q string, args ...any) (int64, error) {
	st, err := b.stmt(ctx, q)
	if err != nil {
		return 0, err
	}
	r, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (b *sqliteBackend) query(ctx context.Context, q string, args []any, each func(scan func(...any) error) error) error {
	st, err := b.stmt(ctx, q)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	return scanRows(rows, each)
}

// scanRows walks database/sql rows.
func scanRows(rows *sql.Rows, each func(scan func(...any) error) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return errors.Join(rows.Err(), rows.Close())
}

func (b *sqliteBackend) insertDecisions(ctx context.Context, rows []decisionRow) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	st, err := tx.PrepareContext(ctx, `INSERT INTO decisions (id, time_ns, form, unit, period, verdict, entry)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r.id, r.timeNS, r.form, r.unit, r.period, r.verdict, string(r.entry)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (*sqliteBackend) isUnique(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func (b *sqliteBackend) ping(ctx context.Context) error { return b.db.PingContext(ctx) }
func (b *sqliteBackend) close() error {
	b.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return b.db.Close()
}
