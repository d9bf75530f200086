package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/figcheck/figcheck/auth"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/receipt"
	"github.com/figcheck/figcheck/rules"
	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// auditTrail is the server's access control, receipts and decision log.
type auditTrail struct {
	tokens    *auth.Tokens // nil: open (loopback only unless insecure)
	limiter   *auth.Limiter
	keys      *receipt.Keyring
	decisions *decisionlog.Log // nil: decision log off
	reader    decisionlog.Reader
	redis     redis.UniversalClient // the redis sink's own client
}

// setupAuditTrail loads the tokens and receipt keys and starts the
// decision log.
func (s *Server) setupAuditTrail(reg prometheus.Registerer) error {
	cfg := s.cfg
	t := &s.trail
	if cfg.Tokens != "" {
		tokens, err := auth.LoadTokens(cfg.Tokens)
		if err != nil {
			return err
		}
		t.tokens = tokens
		t.limiter = auth.NewLimiter(cfg.RateLimit.PerSecond, cfg.RateLimit.Burst)
		s.log.Info("access control on", "tokens", tokens.Len())
	} else {
		s.log.Warn("no tokens file: every request is allowed without a token; serving loopback only unless --insecure",
			"addr", cfg.Addr, "insecure", cfg.Insecure)
	}
	keys, err := cfg.keyring(s.log.Warn)
	if err != nil {
		return err
	}
	t.keys = keys
	d := cfg.DecisionLog
	var sink decisionlog.Sink
	switch cfg.decisionSink() {
	case "off":
		s.log.Warn("decision log is off")
		return nil
	case "stdout":
		sink = decisionlog.NewWriterSink(os.Stdout)
	case "db":
		ds := s.dbSink()
		sink, t.reader = ds, ds
	case "redis":
		client, err := newRedisClientWith(cfg.RedisURL, time.Second, 2*time.Second)
		if err != nil {
			return err
		}
		rs, err := decisionlog.NewRedisSink(decisionlog.RedisOptions{Client: client, Stream: d.Stream, MaxLen: d.MaxLen})
		if err != nil {
			client.Close()
			return err
		}
		t.redis, sink, t.reader = client, rs, rs
	default:
		path := d.Path
		if path == "" {
			dir, err := stateDir()
			if err != nil {
				return err
			}
			path = filepath.Join(dir, "decisions.jsonl")
		}
		fs, err := decisionlog.NewFileSink(decisionlog.FileOptions{
			Path: path, MaxBytes: d.MaxBytes, MaxBackups: d.MaxBackups, Sync: d.Fsync, SyncEvery: d.FsyncInterval,
		})
		if err != nil {
			return err
		}
		sink, t.reader = fs, fs
	}
	s.log.Info("decision log on", "sink", cfg.decisionSink())
	t.decisions = decisionlog.New(decisionlog.Options{
		Sink: sink, QueueSize: d.Queue, MaxAttempts: d.MaxAttempts, Registerer: reg, Logger: s.log,
	})
	return nil
}

// closeAuditTrail flushes the decision log within ctx.
func (s *Server) closeAuditTrail(ctx context.Context) error {
	var errs []error
	if s.trail.decisions != nil {
		errs = append(errs, s.trail.decisions.Close(ctx))
	}
	if s.trail.redis != nil {
		errs = append(errs, s.trail.redis.Close())
	}
	return errors.Join(errs...)
}

// DecisionLog is the server's decision log, nil when it is off. Code
// that checks outside checkOne logs with DecisionLog().Log(entry).
func (s *Server) DecisionLog() *decisionlog.Log { return s.trail.decisions }

// source names the endpoint a check came through.
func source(c *gin.Context) string {
	switch p := c.FullPath(); {
	case p == "/v1/check/batch":
		return decisionlog.SourceBatch
	case strings.HasPrefix(p, "/v1/audit"):
		return decisionlog.SourceAudit
	case p == "/v1/check":
		return decisionlog.SourceCheck
	case p == "":
		return "other"
	default:
		return strings.TrimPrefix(p, "/v1/")
	}
}

// readDecisions flushes the log briefly (so a caller sees its own last
// check) and reads the entries matching f; with flagged, only those of the
// series that may be flagged when the reader can tell (flaggedReader).
func (s *Server) readDecisions(c *gin.Context, f decisionlog.Filter, flagged bool) ([]decisionlog.Entry, error) {
	if s.trail.reader == nil {
		return nil, apiError(CodeDecisionLogUnavailable,
			"the decision log cannot be read back with this sink (decision_log.sink is "+s.cfg.decisionSink()+")")
	}
	fctx, cancel := context.WithTimeout(c.Request.Context(), 500*time.Millisecond)
	_ = s.trail.decisions.Flush(fctx)
	cancel()
	read := s.trail.reader.Entries
	if fr, ok := s.trail.reader.(flaggedReader); ok && flagged {
		read = fr.FlaggedEntries
	}
	entries, err := read(c.Request.Context(), f)
	if err != nil {
		s.log.Error("reading the decision log", "err", err)
		return nil, &Error{Code: CodeDecisionLogUnavailable, Message: "the decision log could not be read; try again", Err: err}
	}
	return entries, nil
}

// decisions: GET /v1/decisions?form=&unit=&period= lists attempts with
// their differences. A unit role sees only its own unit.
func (s *Server) decisions(c *gin.Context) error {
	f := decisionlog.Filter{Form: c.Query("form"), Unit: c.Query("unit"), Period: c.Query("period")}
	if p := principal(c); p.Role.Kind == auth.KindUnit && f.Unit == "" {
		f.Unit = p.Role.Unit
	}
	if err := mayCheckUnit(c, f.Unit); err != nil {
		return err
	}
	entries, err := s.readDecisions(c, f, false)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"series": decisionlog.History(entries)})
	return nil
}

// flaggedUnit is one line of the auditor's changed-to-pass listing.
type flaggedUnit struct {
	Form     string         `json:"form"`
	Unit     string         `json:"unit"`
	Period   string         `json:"period"`
	Attempts int            `json:"attempts"`
	Flags    []flaggedCheck `json:"flags"`
}

type flaggedCheck struct {
	CheckID    string    `json:"check_id"`
	Time       time.Time `json:"time"`
	FixedRules []string  `json:"fixed_rules"`
}

// flagged: GET /v1/decisions/flagged?period=&form= lists the units with a
// changed-to-pass attempt.
func (s *Server) flagged(c *gin.Context) error {
	f := decisionlog.Filter{Form: c.Query("form"), Period: c.Query("period")}
	entries, err := s.readDecisions(c, f, true)
	if err != nil {
		return err
	}
	units := []flaggedUnit{}
	for _, ser := range decisionlog.Flagged(decisionlog.History(entries)) {
		u := flaggedUnit{Form: ser.Form, Unit: ser.Unit, Period: ser.Period, Attempts: len(ser.Attempts)}
		for _, a := range ser.Attempts {
			if a.ChangedToPass {
				u.Flags = append(u.Flags, flaggedCheck{CheckID: a.CheckID, Time: a.Time, FixedRules: a.FixedRules})
			}
		}
		units = append(units, u)
	}
	c.JSON(http.StatusOK, gin.H{"period": f.Period, "units": units})
	return nil
}

type verifyRequest struct {
	Receipt    *receipt.Receipt `json:"receipt"`
	Submission jsontext.Value   `json:"submission"`
}

type verifyResponse struct {
	Valid   bool   `json:"valid"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	KeyID   string `json:"kid,omitempty"`
	Verdict string `json:"verdict,omitempty"`
	Time    string `json:"time,omitempty"`
}

// verifyReceipt: POST /v1/receipts/verify {receipt, submission} answers
// whether the receipt is genuine and covers exactly these figures. It
// needs no stored state: the submission is digested again and the
// signature recomputed.
func (s *Server) verifyReceipt(c *gin.Context) error {
	body, err := readJSONBody(c, s.cfg.Limits.CheckBody)
	if err != nil {
		return err
	}
	var req verifyRequest
	if err := checker.DecodeJSON(body, &req, `the body must be {"receipt": {...}, "submission": {...}}`); err != nil {
		return err
	}
	if req.Receipt == nil || len(req.Submission) == 0 || req.Submission.Kind() == 'n' {
		return apiError(CodeInvalidRequest, "both receipt and submission are required")
	}
	sub, err := checker.DecodeSubmissionBytes(req.Submission)
	if err != nil {
		return fmt.Errorf("submission: %w", err)
	}
	d := checker.SubmissionDigest(sub)
	r := *req.Receipt
	err = s.trail.keys.Verify(r, hex.EncodeToString(d[:]))
	resp := verifyResponse{Valid: err == nil, Reason: receipt.Reason(err)}
	if err != nil {
		resp.Message = err.Error()
		if errors.Is(err, receipt.ErrFiguresDiffer) {
			var differ []string
			for _, f := range [][3]string{{"form", r.Form, sub.Form}, {"unit", r.Unit, sub.Unit}, {"period", r.Period, sub.Period}} {
				if f[1] != f[2] {
					differ = append(differ, f[0])
				}
			}
			if len(differ) > 0 {
				resp.Message = "the submission's " + strings.Join(differ, ", ") + " differ from the receipt's"
			} else {
				resp.Message = "the figures differ from those that were checked"
			}
		}
	} else {
		resp.KeyID, resp.Verdict, resp.Time = r.KeyID, r.Verdict, r.Time.UTC().Format(time.RFC3339Nano)
	}
	c.JSON(http.StatusOK, resp)
	return nil
}

// knownRoutes lists the routes of routeLevels, sorted; for docs and tests.
func knownRoutes() []string {
	out := make([]string, 0, len(routeLevels))
	for r := range routeLevels {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// checkLogger returns a function that puts one check made outside
// checkOne — an audit row — in the decision log, as asked by c's caller,
// with the entry logEntry builds for every check. It reads c once, here;
// the function it returns is safe for concurrent use (audit workers) and
// does nothing when the log is off.
func (s *Server) checkLogger(c *gin.Context) func(f *rules.Form, sub *checker.Submission, d [32]byte, res *checker.Result) {
	log := s.trail.decisions
	if log == nil {
		return func(*rules.Form, *checker.Submission, [32]byte, *checker.Result) {}
	}
	who := s.callerOf(c)
	return func(f *rules.Form, sub *checker.Submission, d [32]byte, res *checker.Result) {
		o := outcomeOf(res)
		log.Log(logEntry(who, check{form: f, sub: sub, digest: d, checkID: res.CheckID}, &o, false, time.Now().UTC()))
	}
}
