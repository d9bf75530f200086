package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/receipt"
	"github.com/figcheck/figcheck/rules"
	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"
)

// readJSONBody checks the content type and reads at most limit bytes.
func readJSONBody(c *gin.Context, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if err := readJSONBodyInto(&buf, c, limit); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readJSONBodyInto is readJSONBody into buf.
func readJSONBodyInto(buf *bytes.Buffer, c *gin.Context, limit int64) error {
	ct := c.GetHeader("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return apiError(CodeUnsupportedType, "the body must be JSON, sent with Content-Type: application/json; got "+quote(ct))
	}
	// Sized from Content-Length so that reading does not grow the buffer
	// step by step (MinRead leaves room for the read that sees the end),
	// but never more than 64 KiB ahead of the bytes that actually come: a
	// client cannot make the server hold a limit-sized buffer per request
	// by announcing a length it does not send.
	if n := c.Request.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(min(n, 64<<10)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(c.Writer, c.Request.Body, limit)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err // errorFor: too_large
		}
		return &Error{Code: CodeInvalidRequest, Message: "reading the body: " + err.Error(), Err: err}
	}
	return nil
}

// buffers are what a check reads its body and writes its answer into: a
// body is not referenced once decoded (the decoder copies what it keeps),
// an answer once written, so a buffer serves the next check.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 64<<10 { // keep large bodies' buffers out of the pool
		b.Reset()
		buffers.Put(b)
	}
}

// readSubmission reads the submission of a POST /v1/check or
// /v1/submissions body, for a caller who may act for its unit, with its
// form.
func (s *Server) readSubmission(c *gin.Context) (*checker.Submission, *rules.Form, error) {
	body, err := readJSONBody(c, s.cfg.Limits.CheckBody)
	if err != nil {
		return nil, nil, err
	}
	sub, err := checker.DecodeSubmissionBytes(body)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.admit(c, sub)
	return sub, f, err
}

// readPlaced is readSubmission with the figures placed for the check
// (checker.DecodePlaced) as they are decoded. Release the result.
func (s *Server) readPlaced(c *gin.Context) (*checker.Placed, error) {
	buf := buffers.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	if err := readJSONBodyInto(buf, c, s.cfg.Limits.CheckBody); err != nil {
		return nil, err
	}
	pl, err := checker.DecodePlaced(buf.Bytes(), func(id string) *rules.Form {
		f, _ := s.formByID(id) // its error comes from admit
		return f
	})
	if err != nil {
		return nil, err
	}
	f, err := s.admit(c, pl.Sub)
	if err != nil {
		pl.Release()
		return nil, err
	}
	if pl.Form != f { // the ruleset was reloaded in between
		pl.Refresh(f)
	}
	return pl, nil
}

// admit finds the form of sub, a submission of a caller who may act for
// its unit.
func (s *Server) admit(c *gin.Context, sub *checker.Submission) (*rules.Form, error) {
	if err := mayCheckUnit(c, sub.Unit); err != nil {
		return nil, err
	}
	return s.formByID(sub.Form)
}

// check: POST /v1/check.
func (s *Server) check(c *gin.Context) error {
	pl, err := s.readPlaced(c)
	if err != nil {
		return err
	}
	defer pl.Release()
	a, err := s.answer(c.Request.Context(), s.callerOf(c), pl)
	if err != nil {
		return err
	}
	out := buffers.Get().(*bytes.Buffer)
	defer putBuffer(out)
	out.Write(a.appendJSON(out.AvailableBuffer()))
	c.Data(http.StatusOK, "application/json; charset=utf-8", out.Bytes())
	return nil
}

// checkOne answers one submission of form f (answer).
func (s *Server) checkOne(ctx context.Context, who caller, f *rules.Form, sub *checker.Submission) (*Answer, error) {
	pl := checker.Place(f, sub)
	defer pl.Release()
	return s.answer(ctx, who, pl)
}

// answer answers one placed submission — from the cache or by evaluating
// it — with its receipt and, for report text, the extraction; it counts
// the answer in the metrics and queues its decision log entry, the same
// way for a cached answer as for a fresh one.
func (s *Server) answer(ctx context.Context, who caller, pl *checker.Placed) (*Answer, error) {
	f, sub := pl.Form, pl.Sub
	ext, err := extract.FromText(f, sub)
	if err != nil {
		return nil, err
	}
	prev, err := s.resolvePrevious(ctx, f, sub) // the period normalised; previous from the store (store.go)
	if err != nil {
		return nil, err
	}
	if ext != nil || prev.From == "store" { // new figures: from the text, or the period before from the store
		pl.Refresh(f)
	}
	digest := pl.Digest()
	ck := check{form: f, sub: sub, digest: digest, checkID: checker.CheckID(f, digest)}
	a := &Answer{Extraction: ext, Previous: prev}
	if entry, _, ok := s.cache.Get(ctx, ck.checkID); ok {
		if st, err := decodeEntry(entry); err == nil {
			a.stored, a.Cached = st, true
		}
	}
	if !a.Cached {
		start := time.Now()
		res := s.checker.CheckPlaced(pl, ck.checkID)
		s.metrics.checkDuration.Observe(time.Since(start).Seconds())
		var entry []byte
		entry, a.stored = encodeEntry(res)
		s.cache.Set(ck.checkID, entry)
	}
	s.metrics.observe(f.ID, &a.outcome)
	now := time.Now().UTC()
	// The receipt's time is when this answer was given: a cached answer
	// gets its own.
	a.Receipt = s.trail.keys.Sign(receipt.Receipt{
		Form: f.ID, Unit: sub.Unit, Period: sub.Period, Submission: hex.EncodeToString(digest[:]),
		Ruleset: f.Digest, Verdict: a.Verdict, Time: now,
	})
	if s.trail.decisions != nil {
		s.trail.decisions.Log(logEntry(who, ck, &a.outcome, a.Cached, now))
	}
	return a, nil
}

type batchSummary struct {
	Items   int `json:"items"`
	Pass    int `json:"pass"`
	Warn    int `json:"warn"`
	Fail    int `json:"fail"`
	Invalid int `json:"invalid"`
}

// batchItemError is the entry of a batch item that could not be checked.
type batchItemError struct {
	Index int       `json:"index"`
	Error ErrorInfo `json:"error"`
}

// batchResponse is the answer to POST /v1/check/batch: per item an
// *Answer or a batchItemError, in input order.
type batchResponse struct {
	Summary batchSummary `json:"summary"`
	Results []any        `json:"results"`
}

// checkBatch: POST /v1/check/batch. Items go through the same path as
// POST /v1/check: the same decoder, the same checkOne, and their errors
// the same errorFor, counted in the same metric.
func (s *Server) checkBatch(c *gin.Context) error {
	body, err := readJSONBody(c, s.cfg.Limits.BatchBody)
	if err != nil {
		return err
	}
	var items []jsontext.Value
	if err := checker.DecodeJSON(body, &items, "the body must be a JSON array of submissions"); err != nil {
		return err
	}
	if len(items) > s.cfg.Limits.BatchItems {
		return apiErrorf(CodeTooManyItems, "%d submissions is more than the limit of %d per batch", len(items), s.cfg.Limits.BatchItems)
	}
	// Each item is a check: it costs one request of the token's rate
	// limit (the request itself paid for the first). A batch larger than
	// the burst could never pass: it is too large, not too early, and a
	// client told to retry would retry for ever.
	lim := s.trail.limiter
	if b := lim.Burst(); b > 0 && len(items) > b {
		return apiErrorf(CodeTooManyItems, "%d submissions is more than the %d a token may send at once (rate_limit.burst); send batches of at most %d", len(items), b, b)
	}
	if !lim.AllowN(principal(c).Name, len(items)-1) {
		c.Header("Retry-After", "1")
		return apiErrorf(CodeRateLimited, "a batch of %d submissions counts as %d requests, more than this token's rate limit allows now (%s); send smaller batches or retry later",
			len(items), len(items), lim)
	}
	rs, err := s.rulesetOr503()
	if err != nil {
		return err
	}
	s.metrics.batchItems.Add(float64(len(items)))
	who := s.callerOf(c)
	resp := batchResponse{Summary: batchSummary{Items: len(items)}, Results: make([]any, len(items))}
	for i, raw := range items {
		a, err := s.batchItem(c, who, rs, raw)
		if err != nil {
			e := errorFor(err)
			s.metrics.countError(e)
			resp.Results[i] = batchItemError{Index: i, Error: e.info()}
			resp.Summary.Invalid++
			continue
		}
		resp.Results[i] = a
		switch a.Verdict {
		case checker.Pass:
			resp.Summary.Pass++
		case checker.Warn:
			resp.Summary.Warn++
		default:
			resp.Summary.Fail++
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // as the answers are
	if err := enc.Encode(resp); err != nil {
		return err
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", bytes.TrimRight(out.Bytes(), "\n"))
	return nil
}

// batchItem checks one item of a batch.
func (s *Server) batchItem(c *gin.Context, who caller, rs *rules.Ruleset, raw []byte) (*Answer, error) {
	pl, err := checker.DecodePlaced(raw, func(id string) *rules.Form {
		f, _ := rs.Form(id)
		return f
	})
	if err != nil {
		return nil, err
	}
	defer pl.Release()
	sub := pl.Sub
	if pl.Form == nil {
		return nil, apiError(CodeUnknownForm, "unknown form "+quote(sub.Form)) // no list of forms per item
	}
	if p := principal(c); !p.Role.MayAct(sub.Unit) {
		return nil, apiError(CodeForbidden, "the role "+p.Role.String()+" may check only its own unit, not "+quote(sub.Unit))
	}
	return s.answer(c.Request.Context(), who, pl)
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}
