package api

import (
	"strconv"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are figcheck's Prometheus metrics. Label values come only from
// the ruleset (form and rule ids) and from fixed sets; never from a client.
type metrics struct {
	checks         *prometheus.CounterVec
	violations     *prometheus.CounterVec
	checkDuration  prometheus.Histogram
	cacheRequests  *prometheus.CounterVec
	evalErrors     *prometheus.CounterVec
	rulesetInfo    *prometheus.GaugeVec
	reloadSuccess  prometheus.Gauge
	reloadTime     prometheus.Gauge
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	batchItems     prometheus.Counter
	invalidRequest *prometheus.CounterVec
	// auditFindings counts anomaly findings of audits, by form and test (a
	// fixed set of test names from package audit, never user input). Added
	// for the FigcheckAuditAnomalies alert (configs/prometheus/alerts.yml);
	// the audit endpoint increments it.
	auditFindings *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figcheck_checks_total", Help: "Checks answered, by form and verdict (cached answers included).",
		}, []string{"form", "verdict"}),
		violations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figcheck_violations_total", Help: "Unexplained rule violations in answered checks.",
		}, []string{"form", "rule", "severity"}),
		checkDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "figcheck_check_duration_seconds", Help: "Time to evaluate one submission (cache misses).",
			Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.025},
		}),
		cacheRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figcheck_cache_requests_total", Help: "Cache requests by tier (memory, redis) and result.",
		}, []string{"tier", "result"}),
		evalErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figcheck_rule_eval_errors_total", Help: "Rules that could not be evaluated.",
		}, []string{"form", "rule"}),
		rulesetInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "figcheck_ruleset_info", Help: "The loaded form versions (1 per form).",
		}, []string{"form", "digest"}),
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "figcheck_ruleset_last_reload_success", Help: "Whether the last ruleset load succeeded.",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "figcheck_ruleset_last_reload_timestamp_seconds", Help: "Time of the last successful ruleset load.",
		}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figcheck_http_requests_total", Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "figcheck_http_request_duration_seconds", Help: "HTTP request latency by route template.",
			Buckets: []float64{1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5},
		}, []string{"route"}),
		batchItems: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "figcheck_batch_items_total", Help: "Submissions received in batch requests.",
		}),
		invalidRequest: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figcheck_invalid_requests_total", Help: "Requests refused, by error code.",
		}, []string{"code"}),
		auditFindings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figcheck_audit_findings_total", Help: "Anomaly findings of audits, by form and audit test.",
		}, []string{"form", "test"}),
	}
	reg.MustRegister(m.auditFindings)
	reg.MustRegister(m.checks, m.violations, m.checkDuration, m.cacheRequests, m.evalErrors,
		m.rulesetInfo, m.reloadSuccess, m.reloadTime, m.httpRequests, m.httpDuration, m.batchItems, m.invalidRequest)
	return m
}

// registerRuntime adds the Go and process collectors.
func registerRuntime(reg prometheus.Registerer) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// observe counts one answered check, fresh or cached alike: its
// verdict, its unexplained violations and its evaluation errors.
func (m *metrics) observe(form string, o *outcome) {
	m.checks.WithLabelValues(form, o.Verdict).Inc()
	for _, v := range o.Violated {
		if !v.Explained {
			m.violations.WithLabelValues(form, v.Rule, v.Severity).Inc()
		}
	}
	for _, rule := range o.EvalErrors {
		m.evalErrors.WithLabelValues(form, rule).Inc()
	}
}

// countError counts an error answered for a whole request or for one
// batch item; server errors are counted by their status alone.
func (m *metrics) countError(e *Error) {
	if e.Status() < 500 {
		m.invalidRequest.WithLabelValues(e.Code).Inc()
	}
}

// observeFindings counts the anomaly findings of an audit. Kind is one of
// the audit's fixed test names, never client input.
func (m *metrics) observeFindings(form string, findings []audit.Finding) {
	for _, fd := range findings {
		m.auditFindings.WithLabelValues(form, fd.Kind).Inc()
	}
}

// builtinSeverities are the severities of the checker's builtin rules, whose
// violations series are born with a form's own rules.
var builtinSeverities = map[string]string{
	checker.BuiltinPlaceholder: "error", checker.BuiltinType: "error", checker.BuiltinRange: "error",
	checker.BuiltinUnknownField: "error", checker.BuiltinDuplicateField: "error", checker.BuiltinRequired: "error",
	checker.BuiltinUnknownExplanation: "info",
}

// bornAtZero creates the counter series of form f at 0 — checks by
// verdict, violations by rule, evaluation errors by rule, audit findings
// by test — so that increase() sees the first burst after a start or a
// reload instead of a series that appears already counting.
func (m *metrics) bornAtZero(f *rules.Form) {
	for _, v := range []string{checker.Pass, checker.Warn, checker.Fail} {
		m.checks.WithLabelValues(f.ID, v)
	}
	for rule, sev := range builtinSeverities {
		m.violations.WithLabelValues(f.ID, rule, sev)
	}
	for _, r := range f.Rules {
		m.violations.WithLabelValues(f.ID, r.ID, r.Severity.String())
		m.evalErrors.WithLabelValues(f.ID, r.ID)
	}
	for _, k := range audit.Kinds {
		m.auditFindings.WithLabelValues(f.ID, k)
	}
}

// rulesetSwapped updates the ruleset series and deletes the series of
// forms and rules that no longer exist.
func (m *metrics) rulesetSwapped(old, cur *rules.Ruleset) {
	// Set the new series before deleting the stale ones: a scrape between
	// the two sees both versions, never no ruleset at all.
	for _, id := range cur.FormIDs() {
		f, _ := cur.Form(id)
		m.rulesetInfo.WithLabelValues(f.ID, f.Digest).Set(1)
		m.bornAtZero(f)
	}
	if old == nil {
		return
	}
	for _, id := range old.FormIDs() {
		of, _ := old.Form(id)
		if nf, ok := cur.Form(id); !ok || nf.Digest != of.Digest {
			m.rulesetInfo.DeleteLabelValues(of.ID, of.Digest)
		}
	}
	for _, id := range old.FormIDs() {
		of, _ := old.Form(id)
		nf, ok := cur.Form(id)
		if !ok {
			m.checks.DeletePartialMatch(prometheus.Labels{"form": id})
			m.violations.DeletePartialMatch(prometheus.Labels{"form": id})
			m.evalErrors.DeletePartialMatch(prometheus.Labels{"form": id})
			m.auditFindings.DeletePartialMatch(prometheus.Labels{"form": id})
			continue
		}
		for _, r := range of.Rules {
			if nr, ok := nf.Rule(r.ID); !ok {
				m.violations.DeletePartialMatch(prometheus.Labels{"form": id, "rule": r.ID})
				m.evalErrors.DeletePartialMatch(prometheus.Labels{"form": id, "rule": r.ID})
			} else if nr.Severity != r.Severity {
				m.violations.DeleteLabelValues(id, r.ID, r.Severity.String())
			}
		}
	}
}

func statusLabel(code int) string { return strconv.Itoa(code) }
