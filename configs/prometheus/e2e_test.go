package prometheus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/figcheck/figcheck/api"
	client "github.com/prometheus/client_golang/prometheus"
)

// describingRegisterer remembers the name of every metric registered, so
// that the test can check that alerts.yml names only metrics that exist.
type describingRegisterer struct {
	*client.Registry
	names map[string]bool
}

var fqNameRe = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *describingRegisterer) Register(c client.Collector) error {
	ch := make(chan *client.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqNameRe.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return r.Registry.Register(c)
}

func (r *describingRegisterer) MustRegister(cs ...client.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// startFigcheck serves the shipped forms (api.New) on a loopback port.
func startFigcheck(t *testing.T) (addr string, names map[string]bool) {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // the receipt development key
	reg := &describingRegisterer{Registry: client.NewRegistry(), names: map[string]bool{}}
	cfg := api.DefaultConfig()
	cfg.Rules = filepath.Join("..", "forms")
	cfg.DecisionLog.Sink = "off"
	srv, err := api.New(cfg, api.Options{Registerer: reg, Gatherer: reg.Registry})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Ruleset() == nil {
		t.Fatal("the shipped forms did not load")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Served by an http.Server of the test's own: api.Server.Serve and
	// Shutdown race on the server field when called from two goroutines.
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = srv.Shutdown(ctx)
	})
	return ln.Addr().String(), reg.names
}

// TestMetricNamesExist checks that every figcheck_* metric alerts.yml
// reads is one the service registers.
func TestMetricNamesExist(t *testing.T) {
	_, names := startFigcheck(t)
	data, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`\bfigcheck_[a-z_]+`).FindAllString(string(data), -1)
	if len(used) == 0 {
		t.Fatal("alerts.yml names no figcheck_ metric")
	}
	for _, n := range used {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
		if !names[n] && !names[base] {
			t.Errorf("alerts.yml reads %s, which figcheck does not register", n)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type alertsResponse struct {
	Status string `json:"status"`
	Data   struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	} `json:"data"`
}

type rulesResponse struct {
	Data struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"data"`
}

// TestAlertEndToEnd runs a real Prometheus against a running figcheck fed
// failing checks, until FigcheckFailShareHigh becomes pending or firing.
func TestAlertEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: -short")
	}
	prom := lookTool(t, "prometheus")
	target, _ := startFigcheck(t)
	rulesPath, err := filepath.Abs("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: figcheck
    static_configs:
      - targets: [%q]
`, rulesPath, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	var log bytes.Buffer
	cmd := exec.Command(prom,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", log.String())
		}
	})

	httpc := &http.Client{Timeout: 2 * time.Second}
	// A submission missing every required figure, with more gold medals
	// than events: it fails. Each gets its own unit so none is cached.
	n := 0
	feed := func(count int) {
		for range count {
			n++
			body := fmt.Sprintf(`{"form":"edu_sports_halfyear","unit":"e2e-%d","period":"2025H1","figures":{"gold_medals":9,"events_entered":4}}`, n)
			resp, err := httpc.Post("http://"+target+"/v1/check", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			var res struct {
				Verdict string `json:"verdict"`
			}
			err = json.NewDecoder(resp.Body).Decode(&res)
			resp.Body.Close()
			if err != nil || res.Verdict != "fail" {
				t.Fatalf("check: verdict %q, err %v; want fail", res.Verdict, err)
			}
		}
	}
	get := func(path string, v any) error {
		resp, err := httpc.Get("http://" + promAddr + path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", path, resp.Status)
		}
		return json.Unmarshal(b, v)
	}

	// The counters must exist before the burst: increase() does not count
	// a series' first sample.
	feed(1)
	deadline := time.Now().Add(90 * time.Second)
	for {
		var up struct {
			Data struct {
				Result []any `json:"result"`
			} `json:"data"`
		}
		if err := get(`/api/v1/query?query=figcheck_checks_total`, &up); err == nil && len(up.Data.Result) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Prometheus never scraped figcheck_checks_total")
		}
		time.Sleep(300 * time.Millisecond)
	}
	for {
		feed(10)
		var ar alertsResponse
		if err := get("/api/v1/alerts", &ar); err == nil {
			for _, a := range ar.Data.Alerts {
				if a.Labels["alertname"] != "FigcheckFailShareHigh" {
					continue
				}
				if a.State != "pending" && a.State != "firing" {
					t.Fatalf("state %q", a.State)
				}
				for k, want := range map[string]string{"form": "edu_sports_halfyear", "team": "data", "severity": "warning", "service": "figcheck"} {
					if a.Labels[k] != want {
						t.Errorf("label %s = %q, want %q", k, a.Labels[k], want)
					}
				}
				t.Logf("%s is %s after %d checks", a.Labels["alertname"], a.State, n)
				checkRulesHealthy(t, get)
				checkDashboardQueries(t, get)
				return
			}
		}
		if time.Now().After(deadline) || n > 5000 {
			t.Fatalf("FigcheckFailShareHigh not pending after %d failing checks", n)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkRulesHealthy fails on any rule Prometheus could not evaluate.
func checkRulesHealthy(t *testing.T, get func(string, any) error) {
	t.Helper()
	var rr rulesResponse
	if err := get("/api/v1/rules", &rr); err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, g := range rr.Data.Groups {
		for _, r := range g.Rules {
			count++
			if r.LastError != "" || r.Health == "err" {
				t.Errorf("rule %s/%s: health %s: %s", g.Name, r.Name, r.Health, r.LastError)
			}
		}
	}
	if count == 0 {
		t.Error("Prometheus loaded no rules")
	}
}

// checkDashboardQueries runs every query of the Grafana dashboard, with its
// variables filled in, and fails on any Prometheus refuses.
func checkDashboardQueries(t *testing.T, get func(string, any) error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "grafana", "figcheck.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Annotations struct {
			List []struct {
				Expr string `json:"expr"`
			} `json:"list"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer("$__rate_interval", "1m", "$__range", "1h", "$instance", ".*", "$form", ".*")
	var queries []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			queries = append(queries, tg.Expr)
		}
	}
	for _, a := range d.Annotations.List {
		queries = append(queries, a.Expr)
	}
	for _, q := range queries {
		var res struct {
			Status string `json:"status"`
		}
		if err := get("/api/v1/query?query="+url.QueryEscape(vars.Replace(q)), &res); err != nil || res.Status != "success" {
			t.Errorf("dashboard query %q: %v (status %q)", q, err, res.Status)
		}
	}
}
