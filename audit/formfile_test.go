package audit

import (
	"strings"
	"testing"

	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

const auditFormHead = `form: t
indicators:
  - {id: gold, name: 金牌数, type: integer}
  - {id: events, name: 参赛项目数, type: integer}
  - {id: rate, name: 达标率, type: percent}
`

func compileForm(t *testing.T, src string) (*rules.Form, error) {
	t.Helper()
	f, err := rulefmt.Parse("t.yaml", []byte(src))
	if err != nil {
		return nil, err
	}
	rs, err := rules.Compile([]*rulefmt.File{f})
	if err != nil {
		return nil, err
	}
	form, _ := rs.Form("t")
	return form, nil
}

func TestAuditSectionsCompile(t *testing.T) {
	f, err := compileForm(t, auditFormHead+`rules:
  - id: row.gold
    name: 金牌不多于项目
    severity: error
    expr: gold <= events
    message: m
  - id: b.same
    scope: batch
    name: 同值
    severity: warning
    expr: maxrepeat(values(rows, "金牌数"), 10) <= 2 && all(rows, {(.参赛项目数 ?? 0) >= 0})
    message: '{{maxrepeat(values(rows, "gold"), 10)}}个单位相同，{{period}}'
hierarchy:
  - {id: h.total, name: 合计, severity: error, total: 全市, indicators: [金牌数, events], tolerance: 1}
jumps:
  - {id: j.rate, name: 变动, severity: warning, indicators: [达标率], max_points: 10, min_value: 5}
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rules) != 1 || len(f.BatchRules) != 1 || len(f.Hierarchies) != 1 || len(f.Jumps) != 1 {
		t.Fatalf("rules %d batch %d hierarchies %d jumps %d", len(f.Rules), len(f.BatchRules), len(f.Hierarchies), len(f.Jumps))
	}
	b := f.BatchRules[0]
	if b.Scope != rules.ScopeBatch || len(b.Uses) != 2 || b.Uses[0].ID != "gold" || b.Uses[1].ID != "events" {
		t.Errorf("batch rule: scope %q uses %v", b.Scope, b.Uses)
	}
	if h := f.Hierarchies[0]; h.Total != "全市" || len(h.Indicators) != 2 || h.Tolerance != 1 {
		t.Errorf("hierarchy %+v", h)
	}
	if j := f.Jumps[0]; j.MaxPoints != 10 || j.MinValue != 5 || j.Indicators[0].ID != "rate" {
		t.Errorf("jump %+v", j)
	}
	// The batch rule runs over the rows of a period.
	a, _ := New(f, Options{})
	add := func(line int, unit, gold, events string) {
		row, _ := newColumns(f, DefaultLimits()).object(line, map[string]any{"unit": unit, "period": "2025H1", "gold": gold, "events": events})
		_ = a.add(a.file("x"), row)
	}
	for i, u := range []string{"甲", "乙", "丙"} {
		add(i+2, u, "12", "20")
	}
	add(5, "全市", "30", "60")
	rep := a.Finish()
	var kinds []string
	for _, fd := range rep.Findings {
		kinds = append(kinds, fd.Kind+":"+fd.Check()+":"+fd.Indicator())
		if fd.Kind == KindBatchRule && !strings.Contains(fd.ReasonText(), "3个单位相同，2025H1") {
			t.Errorf("batch rule message %q", fd.ReasonText())
		}
		if fd.Kind == KindHierarchy && (fd.Value != -6 || fd.Values()[0] != 30 || fd.Values()[1] != 36) {
			t.Errorf("hierarchy finding %+v", fd)
		}
	}
	want := []string{"hierarchy:h.total:gold", "batch_rule:b.same:"}
	if len(kinds) != 2 || kinds[0] != want[0] || kinds[1] != want[1] {
		t.Errorf("findings %v, want %v", kinds, want)
	}
}

func TestAuditSectionErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown scope", `rules:
  - {id: r.x, name: n, severity: error, expr: gold > 0, message: m, scope: unit}`, "t.yaml:7:76: rule r.x: scope must be row or batch"},
		{"row names in batch", `rules:
  - {id: b.x, scope: batch, name: n, severity: error, expr: gold > 0, message: m}`, "t.yaml:7:61: rule b.x: expr: unknown name gold"},
		{"unknown values name", `rules:
  - {id: b.x, scope: batch, name: n, severity: error, expr: 'len(values(rows, "银牌")) > 0', message: m}`, `unknown indicator "银牌" in values`},
		{"tests on batch", `rules:
  - id: b.x
    scope: batch
    name: n
    severity: error
    expr: len(rows) > 0
    message: m
    tests: [{expect: pass}]`, "tests are not supported on batch rules"},
		{"duplicate id across scopes", `rules:
  - {id: r.x, name: n, severity: error, expr: gold > 0, message: m}
  - {id: r.x, scope: batch, name: n, severity: error, expr: len(rows) > 0, message: m}`, `t.yaml:8:10: duplicate rule id "r.x"`},
		{"hierarchy unknown key", `hierarchy:
  - {id: h, name: n, severity: error, total: 全市, indicators: [gold], tol: 1}`, `t.yaml:7:70: hierarchy: unknown key "tol"`},
		{"hierarchy percent", `hierarchy:
  - {id: h, name: n, severity: error, total: 全市, indicators: [达标率]}`, "rate is a percentage"},
		{"hierarchy unknown indicator", `hierarchy:
  - {id: h, name: n, severity: error, total: 全市, indicators: [银牌]}`, `t.yaml:7:63: hierarchy h: unknown indicator "银牌"`},
		{"hierarchy missing total", `hierarchy:
  - {id: h, name: n, severity: error, indicators: [gold]}`, `missing required key "total"`},
		{"jump without bound", `jumps:
  - {id: j, name: n, severity: warning, indicators: [gold]}`, "give max_change (percent) or max_points"},
		{"jump negative", `jumps:
  - {id: j, name: n, severity: warning, indicators: [gold], max_change: -5}`, "max_change must not be negative"},
		{"jump bad severity", `jumps:
  - {id: j, name: n, severity: fatal, indicators: [gold], max_change: 5}`, "severity must be error, warning or info"},
		{"duplicate check id", `jumps:
  - {id: j, name: n, severity: warning, indicators: [gold], max_change: 5}
  - {id: j, name: n, severity: warning, indicators: [events], max_change: 5}`, `duplicate jump id "j"`},
		{"jumps not a list", `jumps: {id: j}`, "jumps: expected a list"},
		{"jump id of a batch rule", `rules:
  - {id: b.x, scope: batch, name: n, severity: error, expr: len(rows) > 0, message: m}
jumps:
  - {id: b.x, name: n, severity: warning, indicators: [gold], max_change: 5}`, `duplicate jump id "b.x" (first defined at t.yaml:7:10)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := compileForm(t, auditFormHead+c.src+"\n")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}
