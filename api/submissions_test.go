package api

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// lastPeriod is a submission of the period full.json (2025H1) is compared with (2024H1):
// full.json's figures with its previous-period figures in their place, so
// that a 2025H1 check taking previous from the store sees what full.json
// sends as previous.
func lastPeriod(t testing.TB) map[string]any {
	t.Helper()
	sub := fullSubmission(t)
	figures := sub["figures"].(map[string]any)
	for k, v := range sub["previous"].(map[string]any) {
		figures[k] = v
	}
	sub["period"] = "2024H1"
	delete(sub, "previous")
	return sub
}

func decode(t *testing.T, r response) map[string]any {
	t.Helper()
	return r.JSON(t)
}

func TestSubmissions(t *testing.T) {
	s := newTrailServer(t, nil)

	// Last period's figures, stored.
	r := s.as("unit", "POST", "/v1/submissions", mustJSON(t, lastPeriod(t)))
	if r.Status != http.StatusCreated {
		t.Fatalf("submit 2024H1: %d %s", r.Status, r.Body)
	}
	first := decode(t, r)
	check := first["check"].(map[string]any)
	if first["version"] != 1.0 || first["period"] != "2024H1" || first["unit"] != trailUnit || check["verdict"] != "pass" ||
		first["receipt"] == nil || first["id"] == "" || r.Header.Get("Location") != "/v1/submissions/"+first["id"].(string) {
		t.Fatalf("201 body: %s", r.Body)
	}

	// A check of this period without previous takes it from the store.
	sub := fullSubmission(t)
	given := decode(t, s.as("unit", "POST", "/v1/check", mustJSON(t, sub)))
	delete(sub, "previous")
	sub["period"] = "2025年上半年" // a spelling of 2025H1
	got := decode(t, s.as("unit", "POST", "/v1/check", mustJSON(t, sub)))
	src := got["previous_source"].(map[string]any)
	if src["from"] != "store" || src["period"] != "2024H1" || src["submission"] != first["id"] || src["version"] != 1.0 {
		t.Fatalf("previous_source %v", src)
	}
	if given["previous_source"].(map[string]any)["from"] != "request" {
		t.Errorf("previous sent with the check: %v", given["previous_source"])
	}
	// The stored period has every figure, so no more rules are skipped
	// than with the 8 previous figures full.json sends.
	skipped := func(m map[string]any) float64 { return m["summary"].(map[string]any)["skipped"].(float64) }
	if got["period"] != "2025H1" || got["verdict"] != "pass" || skipped(got) > skipped(given) {
		t.Fatalf("check with previous from the store: period %v, verdict %v, skipped %v (with previous sent: %v)",
			got["period"], got["verdict"], skipped(got), skipped(given))
	}

	// A period the scheme does not accept.
	sub["period"] = "上半年"
	r = s.as("unit", "POST", "/v1/check", mustJSON(t, sub))
	if e := errorShape(t, r); r.Status != http.StatusBadRequest || e.Code != CodeInvalidPeriod || len(e.Details) == 0 {
		t.Fatalf("bad period: %d %s", r.Status, r.Body)
	}
	sub["period"] = "2025H1"

	// An error blocks the submission; nothing is stored.
	bad := fullSubmission(t)
	bad["figures"].(map[string]any)["gold_medals"] = 1e6
	r = s.as("unit", "POST", "/v1/submissions", mustJSON(t, bad))
	if e := errorShape(t, r); r.Status != http.StatusUnprocessableEntity || e.Code != CodeSubmissionBlocked {
		t.Fatalf("failing submission: %d %s", r.Status, r.Body)
	}
	if v := blockedCheck(t, r)["verdict"]; v != "fail" {
		t.Fatalf("blocked answer's check verdict %v", v)
	}

	// A warning blocks it until it carries an explanation.
	warn := fullSubmission(t)
	warn["previous"].(map[string]any)["party_study_sessions"] = 1
	r = s.as("unit", "POST", "/v1/submissions", mustJSON(t, warn))
	if r.Status != http.StatusUnprocessableEntity || blockedCheck(t, r)["verdict"] != "warn" {
		t.Fatalf("unexplained warning: %d %s", r.Status, r.Body)
	}
	warn["explanations"] = map[string]string{"party.study_sessions_swing": "上期仅统计了一次集中学习，本期按月组织。"}
	r = s.as("unit", "POST", "/v1/submissions", mustJSON(t, warn))
	if r.Status != http.StatusCreated {
		t.Fatalf("explained warning: %d %s", r.Status, r.Body)
	}
	v1 := decode(t, r)

	// A resubmission is version 2; version 1 is still there.
	r = s.as("unit", "POST", "/v1/submissions", mustJSON(t, sub))
	v2 := decode(t, r)
	if r.Status != http.StatusCreated || v2["version"] != 2.0 || v1["version"] != 1.0 {
		t.Fatalf("resubmission: %d %s", r.Status, r.Body)
	}
	one := decode(t, s.as("unit", "GET", "/v1/submissions/"+v1["id"].(string), nil))
	if one["version"] != 1.0 || one["explanations"] == nil || one["check"] == nil || one["figures"] == nil {
		t.Fatalf("version 1: %v", one)
	}

	// The list holds the current version of each period.
	list := func(who, query string) []any {
		t.Helper()
		r := s.as(who, "GET", "/v1/submissions?"+query, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list %s as %s: %d %s", query, who, r.Status, r.Body)
		}
		return decode(t, r)["submissions"].([]any)
	}
	q := url.Values{"form": {shippedForm}, "period": {"2025 H1"}}.Encode()
	cur := list("unit", q)
	if len(cur) != 1 || cur[0].(map[string]any)["id"] != v2["id"] {
		t.Fatalf("current 2025H1: %v", cur)
	}
	if all := list("auditor", "form="+shippedForm); len(all) != 2 {
		t.Fatalf("auditor sees %d current submissions, want 2", len(all))
	}

	// Another unit sees none of them and may not submit for this one.
	if mine := list("other", "form="+shippedForm); len(mine) != 0 {
		t.Fatalf("another unit sees %v", mine)
	}
	if r := s.as("other", "GET", "/v1/submissions/"+v2["id"].(string), nil); r.Status != http.StatusForbidden {
		t.Fatalf("another unit's submission: %d", r.Status)
	}
	if r := s.as("other", "POST", "/v1/submissions", mustJSON(t, sub)); r.Status != http.StatusForbidden {
		t.Fatalf("submitting for another unit: %d", r.Status)
	}
	if r := s.as("unit", "GET", "/v1/submissions/nope", nil); r.Status != http.StatusNotFound || errorShape(t, r).Code != CodeUnknownSubmission {
		t.Fatalf("unknown id: %d %s", r.Status, r.Body)
	}
	for _, bad := range []map[string]any{
		{"form": shippedForm, "period": "2025H1", "figures": map[string]any{}},                    // no unit
		{"form": shippedForm, "unit": trailUnit, "figures": map[string]any{}},                     // no period
		{"form": shippedForm, "unit": trailUnit, "period": "2025Q1", "figures": map[string]any{}}, // bad period
	} {
		if r := s.as("auditor", "POST", "/v1/submissions", mustJSON(t, bad)); r.Status != http.StatusBadRequest {
			t.Errorf("%v: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := s.as("auditor", "GET", "/v1/submissions", nil); r.Status != http.StatusBadRequest {
		t.Errorf("list without a form: %d", r.Status)
	}

	// The audit of a period from the store reads its current submissions
	// and those of the period before: two rows of one unit.
	r = s.as("auditor", "POST", "/v1/audit?source=db&form="+shippedForm+"&period=2025年上半年", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("audit from the store: %d %s", r.Status, trunc(r.Body))
	}
	sum := decode(t, r)["summary"].(map[string]any)
	if sum["rows"] != 2.0 || sum["units"] != 1.0 || fmt.Sprint(sum["periods"]) != "[2024H1 2025H1]" {
		t.Fatalf("audit summary %v", sum)
	}
	for q, code := range map[string]string{"&period=2025Q1": CodeInvalidPeriod, "": CodeInvalidPeriod} {
		r := s.as("auditor", "POST", "/v1/audit?source=db&form="+shippedForm+q, nil)
		if errorShape(t, r).Code != code {
			t.Errorf("audit %q: %d %s", q, r.Status, r.Body)
		}
	}
	if r := s.as("unit", "POST", "/v1/audit?source=db&form="+shippedForm+"&period=2025H1", nil); r.Status != http.StatusForbidden {
		t.Errorf("a unit audits from the store: %d", r.Status)
	}
}

// blockedCheck is the check result in a 422 submission_blocked answer.
func blockedCheck(t *testing.T, r response) map[string]any {
	t.Helper()
	e := errorShape(t, r)
	if e.Code != CodeSubmissionBlocked || len(e.Details) != 1 {
		t.Fatalf("blocked answer: %d %s", r.Status, trunc(r.Body))
	}
	check, _ := e.Details[0].(map[string]any)["check"].(map[string]any)
	if check == nil || check["receipt"] == nil {
		t.Fatalf("blocked answer without its check: %s", trunc(r.Body))
	}
	return check
}
