// Package store is figcheck's system of record: the submissions units
// make, kept in versions and never overwritten, and the decision log of
// every check, in a database that every replica shares.
//
// One interface, Store, has two backends: SQLite (modernc.org/sqlite, pure
// Go, the embedded default: a file in the state directory) and PostgreSQL
// (pgx, a connection pool) for deployments with several replicas. Open
// picks one from a URL, sqlite:PATH or postgres://…, and applies the
// migrations embedded in the binary (goose) before it returns; on
// PostgreSQL under an advisory lock, so that replicas may start together.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
)

// Errors callers branch on.
var (
	// ErrNotFound: no submission has that id, or the unit none for a period.
	ErrNotFound = errors.New("store: not found")
	// ErrURL: the database URL names no backend this binary has.
	ErrURL = errors.New("store: bad database url")
)

// Submission is one stored version of a unit's figures for a form and
// period. A resubmission is a new version with a new id; the highest
// version is the current one.
type Submission struct {
	ID      string    `json:"id"`
	Form    string    `json:"form"`
	Unit    string    `json:"unit"`
	Period  string    `json:"period"`
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
	Verdict string    `json:"verdict"`
	// Ruleset is the digest of the form version that checked it; Digest
	// the submission's (checker.SubmissionDigest, hex).
	Ruleset      string            `json:"ruleset"`
	Digest       string            `json:"submission"`
	Actor        string            `json:"actor"`
	Role         string            `json:"role"`
	Figures      map[string]any    `json:"figures"`
	Previous     map[string]any    `json:"previous,omitempty"`
	Explanations map[string]string `json:"explanations,omitempty"`
	// PreviousSource says where Previous came from (the check result's
	// previous_source).
	PreviousSource json.RawMessage `json:"previous_source,omitempty"`
	// Result is the check result it was stored with; Receipt its receipt.
	Result  json.RawMessage `json:"check,omitempty"`
	Receipt json.RawMessage `json:"receipt,omitempty"`
}

// Query selects current submissions; empty fields match everything.
type Query struct {
	Form, Unit, Period string
	// Limit bounds the answer (0: no bound).
	Limit int
}

// Store is the system of record. Its methods are safe for concurrent use.
type Store interface {
	// AddSubmission stores s as the next version of its form, unit and
	// period, and fills in ID, Version and Time. It returns only once the
	// submission is committed.
	AddSubmission(ctx context.Context, s *Submission) error
	// Submission returns one version by id, or ErrNotFound.
	Submission(ctx context.Context, id string) (*Submission, error)
	// Current lists the current version of each submission matching q,
	// by unit then period, without their check results.
	Current(ctx context.Context, q Query) ([]*Submission, error)

	// WriteDecisions stores a batch of decision log entries, keeping each
	// id once however often it is written (a replayed batch is safe).
	WriteDecisions(ctx context.Context, batch []decisionlog.Entry) error
	// Decisions reads the entries matching f, oldest first.
	Decisions(ctx context.Context, f decisionlog.Filter) ([]decisionlog.Entry, error)
	// FlaggedDecisions reads the entries of the series matching f in
	// which a failed attempt is followed by one that does not fail: the
	// candidates for decisionlog.Flagged, found by an indexed query.
	FlaggedDecisions(ctx context.Context, f decisionlog.Filter) ([]decisionlog.Entry, error)
	// PurgeDecisions deletes the entries older than before and says how many.
	PurgeDecisions(ctx context.Context, before time.Time) (int64, error)

	// Backend is "sqlite" or "postgres".
	Backend() string
	Ping(ctx context.Context) error
	Close() error
}

// Options tune Open.
type Options struct {
	Logger *slog.Logger
	// MaxConns bounds the PostgreSQL pool (default 10).
	MaxConns int32
}

// Open opens the store at url — sqlite:PATH (sqlite://PATH, file:PATH) or
// postgres://… (postgresql://…) — and migrates it to the binary's schema.
func Open(ctx context.Context, url string, opts Options) (Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url, opts)
	case strings.HasPrefix(url, "sqlite:"), strings.HasPrefix(url, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:"), "//")
		if path == "" {
			return nil, fmt.Errorf("%w %q: sqlite: needs a path", ErrURL, url)
		}
		return openSQLite(ctx, path, opts)
	}
	return nil, fmt.Errorf("%w %q: want sqlite:PATH or postgres://…", ErrURL, Redact(url))
}

// Redact hides the password of a database URL, for logs and errors.
func Redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	auth, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	if user, _, ok := strings.Cut(auth, ":"); ok {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return url
}

// NewID returns a random submission id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
