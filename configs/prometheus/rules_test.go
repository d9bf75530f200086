package prometheus

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestPromtoolRules checks the rules file and runs its unit tests.
func TestPromtoolRules(t *testing.T) {
	promtool := lookTool(t, "promtool")
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type testFile struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

var hanRe = regexp.MustCompile(`\p{Han}`)

// TestAlertConventions checks what promtool does not: every alert carries
// the routing labels and both languages, and has a unit test in which it
// fires.
func TestAlertConventions(t *testing.T) {
	var rf ruleFile
	readYAML(t, "alerts.yml", &rf)
	var tf testFile
	readYAML(t, "alerts_test.yml", &tf)
	fires := map[string]bool{}
	for _, tc := range tf.Tests {
		for _, at := range tc.AlertRuleTest {
			if len(at.ExpAlerts) > 0 {
				fires[at.Alertname] = true
			}
		}
	}
	validSeverity := map[string]bool{"critical": true, "warning": true, "info": true}
	validTeam := map[string]bool{"ops": true, "rules": true, "data": true}
	alerts := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !validSeverity[r.Labels["severity"]] {
				t.Errorf("%s: severity label %q, want critical, warning or info", r.Alert, r.Labels["severity"])
			}
			if !validTeam[r.Labels["team"]] {
				t.Errorf("%s: team label %q, want ops, rules or data", r.Alert, r.Labels["team"])
			}
			if r.Labels["service"] != "figcheck" {
				t.Errorf("%s: service label %q, want figcheck", r.Alert, r.Labels["service"])
			}
			for _, k := range []string{"summary", "description", "summary_zh", "description_zh", "runbook"} {
				if strings.TrimSpace(r.Annotations[k]) == "" {
					t.Errorf("%s: annotation %s is missing", r.Alert, k)
				}
			}
			for _, k := range []string{"summary", "description"} {
				if hanRe.MatchString(r.Annotations[k]) {
					t.Errorf("%s: %s should be English, has Chinese", r.Alert, k)
				}
				if !hanRe.MatchString(r.Annotations[k+"_zh"]) {
					t.Errorf("%s: %s_zh has no Chinese", r.Alert, k)
				}
			}
			if !fires[r.Alert] {
				t.Errorf("%s: no promtool test in alerts_test.yml expects it to fire", r.Alert)
			}
		}
	}
	if alerts < 8 {
		t.Errorf("%d alerts, want at least 8", alerts)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
