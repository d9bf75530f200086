package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/figcheck/figcheck/auth"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/receipt"
	"github.com/figcheck/figcheck/rules"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Error codes of the audit trail.
const (
	CodeDecisionLogUnavailable = "decision_log_unavailable"
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
		fs, err := decisionlog.NewFileSink(decisionlog.FileOptions{
			Path: d.path(), MaxBytes: d.MaxBytes, MaxBackups: d.MaxBackups, Sync: d.Fsync, SyncEvery: d.FsyncInterval, Registerer: reg,
		})
		if err != nil {
			return err
		}
		sink, t.reader = fs, fs
	}
	s.log.Info("decision log on", "sink", cfg.decisionSink())
	t.decisions, err = decisionlog.New(decisionlog.Options{
		Sink: sink, QueueSize: d.Queue, MaxAttempts: d.MaxAttempts, Spill: d.spillPath(cfg.decisionSink()), Registerer: reg, Logger: s.log,
		Limits: decisionlog.Limits{UnknownKeys: d.UnknownKeys, ValueBytes: d.ValueBytes},
	})
	if err != nil {
		_ = sink.Close()
	}
	return err
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

// answer finishes one check: it signs a fresh receipt (the receipt's time
// is when this answer was given, so a cached answer gets its own), queues
// the decision log entry with who asked, and returns the response body
// with "cached" and "receipt". res is the result just evaluated, or nil
// for an answer from the cache, whose entry the log's writer completes
// from the result JSON.
func (s *Server) answer(c *gin.Context, f *rules.Form, sub *checker.Submission, digest [32]byte, checkID string, e cacheEntry, res *checker.Result) []byte {
	cached := res == nil
	now := time.Now().UTC()
	subHex := hex.EncodeToString(digest[:])
	rec := s.trail.keys.Sign(receipt.Receipt{
		Form: f.ID, Unit: sub.Unit, Period: sub.Period, Submission: subHex, Ruleset: f.Digest, Verdict: e.verdict, Time: now,
	})
	rj, _ := json.Marshal(rec)
	out := make([]byte, 0, len(e.body)+len(rj)+32)
	out = append(out, e.body[:len(e.body)-1]...)
	out = append(out, `,"cached":`...)
	out = strconv.AppendBool(out, cached)
	out = append(out, `,"receipt":`...)
	out = append(out, rj...)
	out = append(out, '}')
	if s.trail.decisions != nil {
		p := principal(c)
		entry := decisionlog.Entry{
			CheckID: checkID, Time: now, Source: source(c), Form: f.ID, Unit: sub.Unit, Period: sub.Period,
			Ruleset: f.Digest, Submission: subHex, Verdict: e.verdict, Figures: sub.Figures,
			Actor: p.Name, Role: p.Role.String(), Cached: cached, Known: knownBy(f, e.unknownFigures()),
		}
		if cached {
			entry = entry.WithResult(e.body)
		} else {
			entry.Violated, entry.Skipped = logged(res)
		}
		s.trail.decisions.Log(entry)
	}
	return out
}

// readDecisions flushes the log briefly (so a caller sees its own last
// check) and reads the entries matching f.
func (s *Server) readDecisions(c *gin.Context, f decisionlog.Filter) ([]decisionlog.Entry, bool) {
	if s.trail.reader == nil {
		fail(c, http.StatusServiceUnavailable, CodeDecisionLogUnavailable,
			"the decision log cannot be read back with this sink (decision_log.sink is "+s.cfg.decisionSink()+")")
		return nil, false
	}
	fctx, cancel := context.WithTimeout(c.Request.Context(), 500*time.Millisecond)
	_ = s.trail.decisions.Flush(fctx)
	cancel()
	entries, err := s.trail.reader.Entries(c.Request.Context(), f)
	if err != nil {
		s.log.Error("reading the decision log", "err", err)
		fail(c, http.StatusServiceUnavailable, CodeDecisionLogUnavailable, "the decision log could not be read; try again")
		return nil, false
	}
	return entries, true
}

// decisions: GET /v1/decisions?form=&unit=&period= lists attempts with
// their differences. A unit role sees only its own unit.
func (s *Server) decisions(c *gin.Context) {
	f := decisionlog.Filter{Form: c.Query("form"), Unit: c.Query("unit"), Period: c.Query("period")}
	if p := principal(c); p.Role.Kind == auth.KindUnit && f.Unit == "" {
		f.Unit = p.Role.Unit
	}
	if !mayCheckUnit(c, f.Unit) {
		return
	}
	entries, ok := s.readDecisions(c, f)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"series": decisionlog.History(entries), "unreadable": decisionlog.UnreadOf(entries)})
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
func (s *Server) flagged(c *gin.Context) {
	f := decisionlog.Filter{Form: c.Query("form"), Period: c.Query("period")}
	entries, ok := s.readDecisions(c, f)
	if !ok {
		return
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
	c.JSON(http.StatusOK, gin.H{"period": f.Period, "units": units, "unreadable": decisionlog.UnreadOf(entries)})
}

type verifyRequest struct {
	Receipt    *receipt.Receipt `json:"receipt"`
	Submission json.RawMessage  `json:"submission"`
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
func (s *Server) verifyReceipt(c *gin.Context) {
	body, ok := readJSONBody(c, s.cfg.Limits.CheckBody)
	if !ok {
		return
	}
	var req verifyRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		fail(c, http.StatusBadRequest, CodeMalformedJSON, "the body must be {\"receipt\": {...}, \"submission\": {...}}: "+err.Error())
		return
	}
	if req.Receipt == nil || len(req.Submission) == 0 {
		fail(c, http.StatusBadRequest, CodeInvalidRequest, "both receipt and submission are required")
		return
	}
	sub, err := checker.DecodeSubmissionBytes(req.Submission)
	if err != nil {
		status, code := submissionError(err)
		fail(c, status, code, "submission: "+err.Error())
		return
	}
	r := *req.Receipt
	// A unit verifies its own receipts only: whether another unit's
	// figures were checked, and how, is not its business.
	if p := principal(c); !p.Role.MayAct(r.Unit) || !p.Role.MayAct(sub.Unit) {
		fail(c, http.StatusForbidden, CodeForbidden, "the role "+p.Role.String()+" may verify only its own unit's receipts")
		return
	}
	d := checker.SubmissionDigest(sub)
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
// checkOne — an audit row, say — in the decision log, as asked by c's
// caller, with source "audit" for /v1/audit. It reads c once, here; the
// function it returns is safe for concurrent use (audit workers) and does
// nothing when the log is off. Wire it as, for example,
//
//	logRow := s.checkLogger(c)
//	... for each row checked: logRow(f, sub, checker.SubmissionDigest(sub), res)
func (s *Server) checkLogger(c *gin.Context) func(f *rules.Form, sub *checker.Submission, d [32]byte, res *checker.Result) {
	log := s.trail.decisions
	if log == nil {
		return func(*rules.Form, *checker.Submission, [32]byte, *checker.Result) {}
	}
	p, src := principal(c), source(c)
	actor, role := p.Name, p.Role.String()
	return func(f *rules.Form, sub *checker.Submission, d [32]byte, res *checker.Result) {
		e := decisionlog.Entry{
			CheckID: res.CheckID, Time: time.Now().UTC(), Source: src, Form: f.ID, Unit: sub.Unit, Period: sub.Period,
			Ruleset: f.Digest, Submission: hex.EncodeToString(d[:]), Verdict: res.Verdict, Figures: sub.Figures,
			Actor: actor, Role: role, Known: knownBy(f, hasUnknown(res)),
		}
		e.Violated, e.Skipped = logged(res)
		log.Log(e)
	}
}

// knownBy tells the decision log which figures f knows: it keeps those in
// full and summarises the others (decisionlog.Limits). When the check
// found no unknown figure every key is known, and nil says so without a
// lookup per figure (most entries).
func knownBy(f *rules.Form, unknown bool) func(string) bool {
	if !unknown {
		return nil
	}
	return func(k string) bool { _, ok := f.Indicator(k); return ok }
}

// hasUnknown reports whether res found figures its form does not know.
func hasUnknown(res *checker.Result) bool {
	return slices.ContainsFunc(res.Violations, func(v checker.Violation) bool { return v.Rule == checker.BuiltinUnknownField })
}

// logged is what a decision log entry keeps of a result: each violation
// with the fields it read, and the skipped rules.
func logged(res *checker.Result) ([]decisionlog.Violation, []string) {
	violated := make([]decisionlog.Violation, 0, len(res.Violations))
	for _, v := range res.Violations {
		fields := make([]string, 0, len(v.Fields))
		for k := range v.Fields {
			fields = append(fields, k)
		}
		slices.Sort(fields)
		violated = append(violated, decisionlog.Violation{Rule: v.Rule, Severity: v.Severity.String(), Fields: fields, Explained: v.Explained})
	}
	var skipped []string
	for _, sk := range res.Skipped {
		skipped = append(skipped, sk.Rule)
	}
	return violated, skipped
}
