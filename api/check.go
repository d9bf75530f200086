package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/gin-gonic/gin"
)

// readJSONBody checks the content type and reads at most limit bytes.
// On failure it has written the error response.
func readJSONBody(c *gin.Context, limit int64) ([]byte, bool) {
	ct := c.GetHeader("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		fail(c, http.StatusUnsupportedMediaType, CodeUnsupportedType,
			"the body must be JSON, sent with Content-Type: application/json; got "+quote(ct))
		return nil, false
	}
	// Sized from Content-Length so that reading does not grow the buffer
	// step by step (MinRead leaves room for the read that sees the end),
	// but never more than 64 KiB ahead of the bytes that actually come: a
	// client cannot make the server hold a limit-sized buffer per request
	// by announcing a length it does not send.
	var buf bytes.Buffer
	if n := c.Request.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(min(n, 64<<10)) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	body := buf.Bytes()
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			fail(c, http.StatusRequestEntityTooLarge, CodeTooLarge,
				fmt.Sprintf("the body is larger than the limit of %d bytes", limit))
			return nil, false
		}
		fail(c, http.StatusBadRequest, CodeInvalidRequest, "reading the body: "+err.Error())
		return nil, false
	}
	return body, true
}

// submissionError turns a decoding error into its code.
func submissionError(err error) (int, string) {
	if strings.Contains(err.Error(), `missing "form"`) {
		return http.StatusBadRequest, CodeMissingForm
	}
	return http.StatusBadRequest, CodeMalformedJSON
}

func (s *Server) check(c *gin.Context) {
	body, ok := readJSONBody(c, s.cfg.Limits.CheckBody)
	if !ok {
		return
	}
	sub, err := checker.DecodeSubmissionBytes(body)
	if err != nil {
		status, code := submissionError(err)
		fail(c, status, code, err.Error())
		return
	}
	if !mayCheckUnit(c, sub.Unit) {
		return
	}
	f, ok := s.formByID(c, sub.Form)
	if !ok {
		return
	}
	ext, err := textExtraction(f, sub)
	if err != nil {
		fail(c, http.StatusBadRequest, CodeInvalidRequest, err.Error())
		return
	}
	out, _ := s.checkOne(c, f, sub)
	c.Data(http.StatusOK, "application/json; charset=utf-8", withExtraction(out, ext))
}

// checkOne answers one submission from the cache or by evaluating it, and
// returns the response body with its "cached" flag.
func (s *Server) checkOne(c *gin.Context, f *rules.Form, sub *checker.Submission) ([]byte, string) {
	digest := checker.SubmissionDigestFor(f, sub)
	id := checker.CheckID(f, digest)
	if entry, _, ok := s.cache.Get(c.Request.Context(), id); ok {
		if e, err := decodeEntry(entry); err == nil {
			s.metrics.observe(f.ID, e.verdict, e.violations)
			return s.answer(c, f, sub, digest, id, e, nil), e.verdict
		}
	}
	start := time.Now()
	res := s.checker.CheckWithID(f, sub, id)
	s.metrics.checkDuration.Observe(time.Since(start).Seconds())
	entry, e := encodeEntry(res)
	s.cache.Set(id, entry)
	s.metrics.observe(f.ID, res.Verdict, e.violations)
	s.metrics.observeEvalErrors(f.ID, res)
	return s.answer(c, f, sub, digest, id, e, res), res.Verdict
}

// A cache entry is a header line with what the metrics need, then the
// result JSON: "v1 <verdict> <severity>:<rule>,...\n{...}". Counting a
// cached answer then costs no JSON decoding.
type violationKey struct{ rule, severity string }

type cacheEntry struct {
	verdict    string
	violations []violationKey
	body       []byte
}

// encodeEntry returns the cache entry for r and what decodeEntry would
// read back from it, so that a miss does not parse what it just wrote.
func encodeEntry(r *checker.Result) ([]byte, cacheEntry) {
	e := cacheEntry{verdict: r.Verdict}
	var b bytes.Buffer
	b.WriteString("v1 ")
	b.WriteString(r.Verdict)
	b.WriteByte(' ')
	n := 0
	for _, v := range r.Violations {
		if v.Explained {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(v.Severity.String())
		b.WriteByte(':')
		b.WriteString(v.Rule)
		e.violations = append(e.violations, violationKey{rule: v.Rule, severity: v.Severity.String()})
	}
	b.WriteByte('\n')
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r) // a Result holds only encodable values
	entry := bytes.TrimRight(b.Bytes(), "\n")
	_, e.body, _ = bytes.Cut(entry, []byte("\n"))
	return entry, e
}

// unknownFigures reports whether the answer found figures its form does
// not know (explained ones are not in violations; the decision log's
// bound on all figures still holds for them).
func (e cacheEntry) unknownFigures() bool {
	return slices.ContainsFunc(e.violations, func(v violationKey) bool { return v.rule == checker.BuiltinUnknownField })
}

var errBadEntry = errors.New("bad cache entry")

func decodeEntry(b []byte) (cacheEntry, error) {
	header, body, ok := bytes.Cut(b, []byte("\n"))
	if !ok || !bytes.HasPrefix(header, []byte("v1 ")) || len(body) < 2 || body[len(body)-1] != '}' {
		return cacheEntry{}, errBadEntry
	}
	fields := strings.SplitN(string(header[3:]), " ", 2)
	e := cacheEntry{verdict: fields[0], body: body}
	if len(fields) == 2 && fields[1] != "" {
		for _, item := range strings.Split(fields[1], ",") {
			sev, rule, _ := strings.Cut(item, ":")
			e.violations = append(e.violations, violationKey{rule: rule, severity: sev})
		}
	}
	return e, nil
}

type batchSummary struct {
	Items   int `json:"items"`
	Pass    int `json:"pass"`
	Warn    int `json:"warn"`
	Fail    int `json:"fail"`
	Invalid int `json:"invalid"`
}

func (s *Server) checkBatch(c *gin.Context) {
	body, ok := readJSONBody(c, s.cfg.Limits.BatchBody)
	if !ok {
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		fail(c, http.StatusBadRequest, CodeMalformedJSON, "the body must be a JSON array of submissions: "+err.Error())
		return
	}
	if len(items) > s.cfg.Limits.BatchItems {
		fail(c, http.StatusRequestEntityTooLarge, CodeTooManyItems,
			fmt.Sprintf("%d submissions is more than the limit of %d per batch", len(items), s.cfg.Limits.BatchItems))
		return
	}
	// Each item is a check: it costs one request of the token's rate
	// limit (the request itself paid for the first).
	if lim := s.trail.limiter; !lim.AllowN(principal(c).Name, len(items)-1) {
		c.Header("Retry-After", "1")
		fail(c, http.StatusTooManyRequests, CodeRateLimited,
			fmt.Sprintf("a batch of %d submissions counts as %d requests, more than this token's rate limit allows now (%s); send smaller batches or retry later", len(items), len(items), lim))
		return
	}
	rs, ok := s.rulesetOr503(c)
	if !ok {
		return
	}
	s.metrics.batchItems.Add(float64(len(items)))
	var sum batchSummary
	sum.Items = len(items)
	results := make([][]byte, len(items))
	for i, raw := range items {
		sub, err := checker.DecodeSubmissionBytes(raw)
		if err != nil {
			_, code := submissionError(err)
			results[i] = itemError(i, code, err.Error())
			sum.Invalid++
			continue
		}
		f, ok := rs.Form(sub.Form)
		if !ok {
			results[i] = itemError(i, CodeUnknownForm, "unknown form "+quote(sub.Form))
			sum.Invalid++
			continue
		}
		if p := principal(c); !p.Role.MayAct(sub.Unit) {
			results[i] = itemError(i, CodeForbidden, "the role "+p.Role.String()+" may check only its own unit, not "+quote(sub.Unit))
			sum.Invalid++
			continue
		}
		ext, err := textExtraction(f, sub)
		if err != nil {
			results[i] = itemError(i, CodeInvalidRequest, err.Error())
			sum.Invalid++
			continue
		}
		out, verdict := s.checkOne(c, f, sub)
		results[i] = withExtraction(out, ext)
		switch verdict {
		case checker.Pass:
			sum.Pass++
		case checker.Warn:
			sum.Warn++
		default:
			sum.Fail++
		}
	}
	var b bytes.Buffer
	head, _ := json.Marshal(sum)
	b.WriteString(`{"summary":`)
	b.Write(head)
	b.WriteString(`,"results":[`)
	for i, r := range results {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r)
	}
	b.WriteString("]}")
	c.Data(http.StatusOK, "application/json; charset=utf-8", b.Bytes())
}

func itemError(i int, code, msg string) []byte {
	b, _ := json.Marshal(struct {
		Index int       `json:"index"`
		Error ErrorInfo `json:"error"`
	}{i, ErrorInfo{Code: code, Message: msg}})
	return b
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}
