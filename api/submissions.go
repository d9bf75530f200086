package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/figcheck/figcheck/auth"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/period"
	"github.com/figcheck/figcheck/store"
	"github.com/gin-gonic/gin"
)

// maxListed bounds GET /v1/submissions.
const maxListed = 1000

// submitted is the answer to a stored submission.
type submitted struct {
	ID      string          `json:"id"`
	Version int             `json:"version"`
	Form    string          `json:"form"`
	Unit    string          `json:"unit"`
	Period  string          `json:"period"`
	Check   json.RawMessage `json:"check"`
	Receipt json.RawMessage `json:"receipt"`
}

// submit: POST /v1/submissions takes a submission as POST /v1/check does,
// checks it, and stores it as the next version of its form, unit and
// period only when the verdict is pass: no unexplained error and every
// warning explained. Otherwise 422 submission_blocked, the result in
// error.details[0].check.
func (s *Server) submit(c *gin.Context) {
	sub, f, ok := s.readSubmission(c)
	if !ok {
		return
	}
	if sub.Unit == "" {
		fail(c, http.StatusBadRequest, CodeInvalidRequest, `a submission needs its "unit"`)
		return
	}
	if sub.Period == "" {
		invalidPeriod(c, f, fmt.Errorf("%w: a submission needs its \"period\"", period.ErrInvalid))
		return
	}
	ext, err := textExtraction(f, sub)
	if err != nil {
		fail(c, http.StatusBadRequest, CodeInvalidRequest, err.Error())
		return
	}
	src, ok := s.previous(c, f, sub)
	if !ok {
		return
	}
	out, verdict := s.checkOne(c, f, sub)
	out = withMember(withExtraction(out, ext), "previous_source", src)
	var view struct {
		Summary checker.Summary `json:"summary"`
		Receipt json.RawMessage `json:"receipt"`
	}
	_ = json.Unmarshal(out, &view) // the body checkOne just encoded
	if verdict != checker.Pass {
		// The one error shape; the result that blocks it is its detail.
		fail(c, http.StatusUnprocessableEntity, CodeSubmissionBlocked, blockedMessage(view.Summary), gin.H{"check": json.RawMessage(out)})
		return
	}
	p := principal(c)
	digest := checker.SubmissionDigestFor(f, sub)
	rec := &store.Submission{
		Form: f.ID, Unit: sub.Unit, Period: sub.Period, Verdict: verdict, Ruleset: f.Digest,
		Digest: fmt.Sprintf("%x", digest[:]), Actor: p.Name, Role: p.Role.String(),
		Figures: sub.Figures, Previous: sub.Previous, Explanations: sub.Explanations,
		PreviousSource: src, Result: out, Receipt: view.Receipt,
	}
	if err := s.store.AddSubmission(c.Request.Context(), rec); err != nil {
		s.storeUnavailable(c, err)
		return
	}
	c.Header("Location", "/v1/submissions/"+rec.ID)
	c.JSON(http.StatusCreated, submitted{
		ID: rec.ID, Version: rec.Version, Form: rec.Form, Unit: rec.Unit, Period: rec.Period, Check: out, Receipt: view.Receipt,
	})
}

// blockedMessage tells a unit, in its words, what stands in the way.
func blockedMessage(sum checker.Summary) string {
	msg := "本次填报未通过审核，不能提交："
	switch {
	case sum.Errors > 0 && sum.Warnings > 0:
		msg += fmt.Sprintf("有%d项错误须改正，%d项警告须填写说明。", sum.Errors, sum.Warnings)
	case sum.Errors > 0:
		msg += fmt.Sprintf("有%d项错误须改正。", sum.Errors)
	default:
		msg += fmt.Sprintf("有%d项警告须填写说明。", sum.Warnings)
	}
	return msg
}

// listSubmissions: GET /v1/submissions?form=&unit=&period= lists the
// current version of each matching submission, without its check result.
// A unit role sees only its own unit.
func (s *Server) listSubmissions(c *gin.Context) {
	q := store.Query{Form: c.Query("form"), Unit: c.Query("unit"), Period: c.Query("period"), Limit: maxListed}
	if q.Form == "" {
		fail(c, http.StatusBadRequest, CodeMissingForm, "give the form as ?form=ID")
		return
	}
	if p := principal(c); p.Role.Kind == auth.KindUnit && q.Unit == "" {
		q.Unit = p.Role.Unit
	}
	if !mayCheckUnit(c, q.Unit) {
		return
	}
	f, ok := s.formByID(c, q.Form)
	if !ok {
		return
	}
	if q.Period != "" {
		scheme, _ := period.Lookup(f.PeriodScheme)
		p, err := scheme.Normalize(q.Period)
		if err != nil {
			invalidPeriod(c, f, err)
			return
		}
		q.Period = p
	}
	if n, err := strconv.Atoi(c.DefaultQuery("limit", strconv.Itoa(maxListed))); err != nil || n < 1 || n > maxListed {
		fail(c, http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf("limit must be a number from 1 to %d", maxListed))
		return
	} else {
		q.Limit = n
	}
	// One more than asked tells whether the list was cut.
	limit := q.Limit
	q.Limit++
	subs, err := s.store.Current(c.Request.Context(), q)
	if err != nil {
		s.storeUnavailable(c, err)
		return
	}
	truncated := len(subs) > limit
	if truncated {
		subs = subs[:limit]
	}
	c.JSON(http.StatusOK, gin.H{"form": q.Form, "period": q.Period, "submissions": subs, "truncated": truncated})
}

// getSubmission: GET /v1/submissions/{id} is one version with its check
// result and receipt.
func (s *Server) getSubmission(c *gin.Context) {
	sub, err := s.store.Submission(c.Request.Context(), c.Param("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		fail(c, http.StatusNotFound, CodeUnknownSubmission, "no submission has the id "+quote(c.Param("id")))
		return
	case err != nil:
		s.storeUnavailable(c, err)
		return
	}
	if !mayCheckUnit(c, sub.Unit) {
		return
	}
	c.JSON(http.StatusOK, sub)
}
