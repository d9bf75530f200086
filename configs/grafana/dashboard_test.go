package grafana

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

type dashboard struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// exprs decodes the dashboard and returns every query in it.
func exprs(t *testing.T) (*dashboard, []string) {
	t.Helper()
	data, err := os.ReadFile("figcheck.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("figcheck.json: %v", err)
	}
	var out []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	return &d, out
}

func TestDashboard(t *testing.T) {
	d, queries := exprs(t)
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	src, err := os.ReadFile("../../api/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`Name:\s*"(figcheck_[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		known[m[1]] = true
	}
	if len(known) < 10 {
		t.Fatalf("found %d metric names in api/metrics.go; the pattern is stale", len(known))
	}
	ids := map[int]string{}
	occupied := map[[2]int]string{}
	wanted := map[string]bool{"checks_total": false, "violations_total": false, "http_request_duration_seconds": false,
		"cache_requests_total": false, "ruleset_last_reload_success": false}
	for _, p := range d.Panels {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: bad gridPos %+v", p.Title, p.GridPos)
		}
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, ok := occupied[[2]int{x, y}]; ok {
					t.Errorf("panels %q and %q overlap at %d,%d", other, p.Title, x, y)
				}
				occupied[[2]int{x, y}] = p.Title
			}
		}
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
	for _, q := range queries {
		for _, n := range regexp.MustCompile(`\bfigcheck_[a-z_]+`).FindAllString(q, -1) {
			base := n
			for _, suf := range []string{"_bucket", "_count", "_sum"} {
				base = strings.TrimSuffix(base, suf)
			}
			if !known[n] && !known[base] {
				t.Errorf("query %q reads %s, which api/metrics.go does not define", q, n)
			}
			wanted[strings.TrimPrefix(base, "figcheck_")] = true
		}
	}
	for m, seen := range wanted {
		if !seen {
			t.Errorf("no panel shows figcheck_%s", m)
		}
	}
}
