package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/figcheck/figcheck/auth"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/decisionlog"
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
// checks it the same way (checkOne), and stores it as the next version of
// its form, unit and period only when the verdict is pass: no unexplained
// error and every warning explained. Otherwise 422 submission_blocked, the
// answer in error.details[0].check.
func (s *Server) submit(c *gin.Context) error {
	sub, f, err := s.readSubmission(c)
	if err != nil {
		return err
	}
	if sub.Unit == "" {
		return apiError(CodeInvalidRequest, `a submission needs its "unit"`)
	}
	if sub.Period == "" {
		return invalidPeriod(f, fmt.Errorf("%w: a submission needs its \"period\"", period.ErrInvalid))
	}
	a, err := s.checkOne(c.Request.Context(), s.callerOf(c), f, sub)
	if err != nil {
		return err
	}
	out := a.appendJSON(nil)
	if a.Verdict != checker.Pass {
		// The one error shape; the answer that blocks it is its detail.
		return apiError(CodeSubmissionBlocked, blockedMessage(a.Violated), gin.H{"check": json.RawMessage(out)})
	}
	p := principal(c)
	rj, _ := json.Marshal(a.Receipt)
	rec := &store.Submission{
		Form: f.ID, Unit: sub.Unit, Period: sub.Period, Verdict: a.Verdict, Ruleset: f.Digest,
		Digest: a.Receipt.Submission, Actor: p.Name, Role: p.Role.String(),
		Figures: sub.Figures, Previous: sub.Previous, Explanations: sub.Explanations,
		Result: out, Receipt: rj,
	}
	rec.PreviousSource, _ = json.Marshal(a.Previous)
	if err := s.store.AddSubmission(c.Request.Context(), rec); err != nil {
		return s.storeUnavailable(err)
	}
	c.Header("Location", "/v1/submissions/"+rec.ID)
	c.JSON(http.StatusCreated, submitted{
		ID: rec.ID, Version: rec.Version, Form: rec.Form, Unit: rec.Unit, Period: rec.Period, Check: out, Receipt: rj,
	})
	return nil
}

// blockedMessage tells a unit, in its words, what stands in the way.
func blockedMessage(violated []decisionlog.Violation) string {
	errs, warns := 0, 0
	for _, v := range violated {
		switch {
		case v.Explained:
		case v.Severity == "error":
			errs++
		case v.Severity == "warning":
			warns++
		}
	}
	msg := "本次填报未通过审核，不能提交："
	switch {
	case errs > 0 && warns > 0:
		msg += fmt.Sprintf("有%d项错误须改正，%d项警告须填写说明。", errs, warns)
	case errs > 0:
		msg += fmt.Sprintf("有%d项错误须改正。", errs)
	default:
		msg += fmt.Sprintf("有%d项警告须填写说明。", warns)
	}
	return msg
}

// listSubmissions: GET /v1/submissions?form=&unit=&period= lists the
// current version of each matching submission, without its check result.
// A unit role sees only its own unit.
func (s *Server) listSubmissions(c *gin.Context) error {
	q := store.Query{Form: c.Query("form"), Unit: c.Query("unit"), Period: c.Query("period")}
	if q.Form == "" {
		return apiError(CodeMissingForm, "give the form as ?form=ID")
	}
	if p := principal(c); p.Role.Kind == auth.KindUnit && q.Unit == "" {
		q.Unit = p.Role.Unit
	}
	if err := mayCheckUnit(c, q.Unit); err != nil {
		return err
	}
	f, err := s.formByID(q.Form)
	if err != nil {
		return err
	}
	if q.Period != "" {
		scheme, _ := period.Lookup(f.PeriodScheme)
		p, err := scheme.Normalize(q.Period)
		if err != nil {
			return invalidPeriod(f, err)
		}
		q.Period = p
	}
	limit, err := strconv.Atoi(c.DefaultQuery("limit", strconv.Itoa(maxListed)))
	if err != nil || limit < 1 || limit > maxListed {
		return apiErrorf(CodeInvalidRequest, "limit must be a number from 1 to %d", maxListed)
	}
	q.Limit = limit + 1 // one more than asked tells whether the list was cut
	subs, err := s.store.Current(c.Request.Context(), q)
	if err != nil {
		return s.storeUnavailable(err)
	}
	truncated := len(subs) > limit
	if truncated {
		subs = subs[:limit]
	}
	c.JSON(http.StatusOK, gin.H{"form": q.Form, "period": q.Period, "submissions": subs, "truncated": truncated})
	return nil
}

// getSubmission: GET /v1/submissions/{id} is one version with its check
// result and receipt.
func (s *Server) getSubmission(c *gin.Context) error {
	sub, err := s.store.Submission(c.Request.Context(), c.Param("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apiError(CodeUnknownSubmission, "no submission has the id "+quote(c.Param("id")))
	case err != nil:
		return s.storeUnavailable(err)
	}
	if err := mayCheckUnit(c, sub.Unit); err != nil {
		return err
	}
	c.JSON(http.StatusOK, sub)
	return nil
}
