package api

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestCountersBornAtZero: from start-up, /metrics has the check,
// violation, evaluation error and audit finding series of every loaded
// form at 0, so that increase() sees the first burst after a restart.
func TestCountersBornAtZero(t *testing.T) {
	s := newTestServer(t, nil)
	f, _ := s.Ruleset().Form(shippedForm)
	r := f.Rules[0]
	text := s.metricsText()
	for _, want := range []string{
		`figcheck_checks_total{form="edu_sports_halfyear",verdict="pass"} 0`,
		`figcheck_checks_total{form="edu_sports_halfyear",verdict="fail"} 0`,
		fmt.Sprintf(`figcheck_violations_total{form="edu_sports_halfyear",rule=%q,severity=%q} 0`, r.ID, r.Severity.String()),
		`figcheck_violations_total{form="edu_sports_halfyear",rule="builtin.placeholder",severity="error"} 0`,
		fmt.Sprintf(`figcheck_rule_eval_errors_total{form="edu_sports_halfyear",rule=%q} 0`, r.ID),
		`figcheck_audit_findings_total{form="edu_sports_halfyear",test="benford_first_digit"} 0`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// evalErrorForm divides by a figure that may be 0, with no when: a check
// with schools 0 has an evaluation error.
const evalErrorForm = `form: ev
title: 计算错误测试表
indicators:
  - {id: schools, name: 学校数, unit: 所, type: integer, min: 0}
  - {id: funds, name: 投入资金, unit: 万元, type: number, min: 0}
rules:
  - id: ev.per_school
    name: 每校投入
    severity: warning
    expr: funds / schools <= 50
    message: 偏高
`

// TestCachedAnswersCountLikeFresh: a cached answer counts in the checks,
// violations and evaluation error metrics exactly like the miss did.
func TestCachedAnswersCountLikeFresh(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ev.yaml"), []byte(evalErrorForm), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Rules = dir
	s := newTestServer(t, &cfg)
	for i := range 3 {
		r := s.postJSON("/v1/check", []byte(`{"form":"ev","figures":{"schools":0,"funds":10,"x":1}}`))
		if r.Status != 200 || r.JSON(t)["cached"] != (i > 0) {
			t.Fatalf("check %d: %d %s", i, r.Status, trunc(r.Body))
		}
	}
	text := s.metricsText()
	for _, want := range []string{
		`figcheck_checks_total{form="ev",verdict="fail"} 3`,
		`figcheck_violations_total{form="ev",rule="builtin.unknown_field",severity="error"} 3`,
		`figcheck_rule_eval_errors_total{form="ev",rule="ev.per_school"} 3`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %s:\n%s", want, grep(text, `form="ev"`))
		}
	}
}

// TestRulesetInfoNeverEmpty: a scrape during a reload sees the loaded
// form versions, never none.
func TestRulesetInfoNeverEmpty(t *testing.T) {
	s := newTestServer(t, nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				if _, err := s.Reload(); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	for range 1000 {
		mfs, err := s.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, mf := range mfs {
			if mf.GetName() == "figcheck_ruleset_info" {
				n = len(mf.GetMetric())
			}
		}
		if n == 0 {
			close(stop)
			wg.Wait()
			t.Fatal("figcheck_ruleset_info had no series during a reload")
		}
	}
	close(stop)
	wg.Wait()
}
