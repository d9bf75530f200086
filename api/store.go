package api

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/period"
	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/store"
	"github.com/gin-gonic/gin"
)

// DefaultDBFile is the SQLite file of the store when no database is
// configured, in the state directory.
const DefaultDBFile = "figcheck.db"

// dbURL is the store's URL: Config.DB, or the SQLite file in the state
// directory.
func (c Config) dbURL() (string, error) {
	if c.DB != "" {
		return c.DB, nil
	}
	dir, err := stateDir()
	if err != nil {
		return "", fmt.Errorf("db: %w", err)
	}
	return "sqlite:" + filepath.Join(dir, DefaultDBFile), nil
}

// openStore opens the system of record and migrates it. On PostgreSQL
// the migrations wait for another replica's (advisory lock), hence the
// generous bound.
func (s *Server) openStore() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url, err := s.cfg.dbURL()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, url, store.Options{Logger: s.log})
	if err != nil {
		return err
	}
	s.store = st
	return nil
}

// storeState is /readyz's "store": "ok", or "degraded" when the database
// does not answer within 500 ms. Like Redis it does not make the server
// unready: checks are still answered, and the log's queue waits for it.
func (s *Server) storeState(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return "degraded"
	}
	return "ok"
}

// dbSink is the db sink of the decision log, over the store.
func (s *Server) dbSink() *store.DecisionSink {
	days := s.cfg.DecisionLog.RetentionDays
	if days > 0 {
		s.log.Info("decision log retention", "days", days)
	} else {
		s.log.Info("decision log retention off: entries are kept until deleted by hand")
	}
	return store.NewDecisionSink(s.store, store.SinkOptions{Retention: time.Duration(days) * 24 * time.Hour, Logger: s.log})
}

// flaggedReader is a decision log reader that can narrow a flagged query
// to the candidate series itself (store.DecisionSink).
type flaggedReader interface {
	FlaggedEntries(ctx context.Context, f decisionlog.Filter) ([]decisionlog.Entry, error)
}

// previousSource says where a check's previous-period figures came from:
// "request" (sent with it), "store" (the unit's current submission of the
// period before: its id and version), "none" (nothing stored for that
// period, or the form has no period scheme), or "unavailable" (the store
// could not be read; the check goes on without them).
type previousSource struct {
	From       string `json:"from"`
	Period     string `json:"period,omitempty"`
	Submission string `json:"submission,omitempty"`
	Version    int    `json:"version,omitempty"`
}

// resolvePrevious normalises sub.Period by the form's period scheme and,
// when the submission comes without previous, takes the unit's current
// submission of the period before from the store. A period the scheme
// does not accept is invalid_period.
func (s *Server) resolvePrevious(ctx context.Context, f *rules.Form, sub *checker.Submission) (previousSource, error) {
	scheme, err := period.Lookup(f.PeriodScheme)
	if err != nil {
		return previousSource{From: "none"}, nil // the form was validated at load
	}
	if sub.Period != "" {
		p, err := scheme.Normalize(sub.Period)
		if err != nil {
			return previousSource{}, invalidPeriod(f, err)
		}
		sub.Period = p
	}
	if sub.Previous != nil {
		return previousSource{From: "request"}, nil
	}
	prev := scheme.Previous(sub.Period)
	if prev == "" || sub.Unit == "" {
		return previousSource{From: "none"}, nil
	}
	cur, err := s.store.Current(ctx, store.Query{Form: f.ID, Unit: sub.Unit, Period: prev, Limit: 1})
	if err != nil {
		s.log.Warn("previous period not read from the store; checking without it", "err", err)
		return previousSource{From: "unavailable", Period: prev}, nil
	}
	if len(cur) == 0 {
		return previousSource{From: "none", Period: prev}, nil
	}
	sub.Previous = cur[0].Figures
	return previousSource{From: "store", Period: prev, Submission: cur[0].ID, Version: cur[0].Version}, nil
}

// invalidPeriod is the invalid_period error of f, with the accepted forms.
func invalidPeriod(f *rules.Form, err error) *Error {
	scheme, _ := period.Lookup(f.PeriodScheme)
	return &Error{Code: CodeInvalidPeriod, Message: err.Error(), Err: err,
		Details: []any{gin.H{"scheme": scheme.Name(), "accepted": scheme.Accepted()}}}
}

// storeUnavailable is the error of a store that could not be read or
// written.
func (s *Server) storeUnavailable(err error) *Error {
	s.log.Error("store", "err", err)
	return &Error{Code: CodeStoreUnavailable, Message: "the database could not be reached; nothing was stored; try again", Err: err}
}

// auditStore: POST /v1/audit?source=db&form=F&period=P audits the current
// submissions of a period, with those of the period before, from the store.
func (s *Server) auditStore(c *gin.Context, f *rules.Form, format string) error {
	p := c.Query("period")
	scheme, _ := period.Lookup(f.PeriodScheme)
	if _, err := scheme.Normalize(p); err != nil || p == "" {
		return invalidPeriod(f, errors.Join(fmt.Errorf("%w: give the period to audit as ?period=", period.ErrInvalid), err))
	}
	a, err := s.auditor(c, f, format)
	if err != nil {
		return err
	}
	if _, _, err := store.AuditPeriod(c.Request.Context(), s.store, a, p); err != nil {
		return s.auditReport(c, f, a, format, s.storeUnavailable(err))
	}
	return s.auditReport(c, f, a, format, nil)
}
