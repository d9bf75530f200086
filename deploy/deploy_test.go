package deploy

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/figcheck/figcheck/api"
	"github.com/figcheck/figcheck/configs"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite forms-configmap.yaml from configs/forms")

const formsDir = "../configs/forms"

// Just enough of the Kubernetes types to check what matters here.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec spec              `yaml:"spec"`
	file string
}

type spec struct {
	Replicas     *int `yaml:"replicas"`
	MinAvailable any  `yaml:"minAvailable"`
	Selector     struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	// A Service's selector is a plain map; decoded separately.
	Ports []struct {
		Name       string `yaml:"name"`
		Port       int    `yaml:"port"`
		TargetPort any    `yaml:"targetPort"`
	} `yaml:"ports"`
	Template struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec podSpec `yaml:"spec"`
	} `yaml:"template"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    *int  `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name  string `yaml:"name"`
			Items []struct {
				Key  string `yaml:"key"`
				Path string `yaml:"path"`
			} `yaml:"items"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
	Exec      any `yaml:"exec"`
	TCPSocket any `yaml:"tcpSocket"`
}

func (c *container) env(name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// port resolves a named or numbered container port.
func (c *container) port(p any) int {
	switch v := p.(type) {
	case int:
		return v
	case string:
		for _, cp := range c.Ports {
			if cp.Name == v {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

var apiVersions = map[string]string{
	"Namespace": "v1", "ConfigMap": "v1", "Service": "v1",
	"Deployment": "apps/v1", "StatefulSet": "apps/v1", "PodDisruptionBudget": "policy/v1",
}

// manifests decodes every document of every resource kustomization.yaml
// lists, and checks the list matches the files present.
func manifests(t *testing.T) map[string]*object {
	t.Helper()
	var k struct {
		Namespace string   `yaml:"namespace"`
		Resources []string `yaml:"resources"`
	}
	readYAML(t, "kustomization.yaml", &k)
	files, _ := filepath.Glob("*.yaml")
	var want []string
	for _, f := range files {
		if f != "kustomization.yaml" {
			want = append(want, f)
		}
	}
	if got := slices.Sorted(slices.Values(k.Resources)); !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml lists %v; the directory has %v", got, want)
	}
	objs := map[string]*object{}
	for _, f := range k.Resources {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var o object
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			o.file = f
			if want, ok := apiVersions[o.Kind]; !ok || o.APIVersion != want {
				t.Errorf("%s: %s %q: apiVersion %q, want %q", f, o.Kind, o.Metadata.Name, o.APIVersion, want)
			}
			if o.Metadata.Name == "" {
				t.Errorf("%s: a %s without a name", f, o.Kind)
			}
			key := o.Kind + "/" + o.Metadata.Name
			if _, dup := objs[key]; dup {
				t.Errorf("%s: %s defined twice", f, key)
			}
			objs[key] = &o
		}
	}
	return objs
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

// serviceSelector decodes a Service's spec.selector (a plain map).
func serviceSelector(t *testing.T, file, name string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Spec struct {
				Selector map[string]any `yaml:"selector"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("%s: service %s not found: %v", file, name, err)
		}
		if o.Kind == "Service" && o.Metadata.Name == name {
			sel := map[string]string{}
			for k, v := range o.Spec.Selector {
				sel[k] = fmt.Sprint(v)
			}
			return sel
		}
	}
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func get(t *testing.T, objs map[string]*object, key string) *object {
	t.Helper()
	o, ok := objs[key]
	if !ok {
		t.Fatalf("no %s in the manifests", key)
	}
	return o
}

func TestManifests(t *testing.T) {
	objs := manifests(t)
	df := parseDockerfile(t)
	dep := get(t, objs, "Deployment/figcheck")
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 3 {
		t.Errorf("figcheck replicas = %v, want 3", dep.Spec.Replicas)
	}
	tmpl := dep.Spec.Template
	if !subset(dep.Spec.Selector.MatchLabels, tmpl.Metadata.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", dep.Spec.Selector.MatchLabels, tmpl.Metadata.Labels)
	}
	svcSel := serviceSelector(t, get(t, objs, "Service/figcheck").file, "figcheck")
	if !subset(svcSel, tmpl.Metadata.Labels) {
		t.Errorf("Service figcheck selector %v does not select the pods %v", svcSel, tmpl.Metadata.Labels)
	}
	pdb := get(t, objs, "PodDisruptionBudget/figcheck")
	if !subset(pdb.Spec.Selector.MatchLabels, tmpl.Metadata.Labels) {
		t.Errorf("the PodDisruptionBudget selector %v does not select the pods", pdb.Spec.Selector.MatchLabels)
	}
	if m, ok := pdb.Spec.MinAvailable.(int); !ok || m < 1 || m >= *dep.Spec.Replicas {
		t.Errorf("PodDisruptionBudget minAvailable %v: want 1 ≤ n < replicas, so drains can proceed", pdb.Spec.MinAvailable)
	}
	sc := tmpl.Spec.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || strconv.Itoa(*sc.RunAsUser) != df.user {
		t.Errorf("pod securityContext: runAsNonRoot true and runAsUser %s (the Dockerfile's USER) expected", df.user)
	}
	if len(tmpl.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(tmpl.Spec.Containers))
	}
	c := &tmpl.Spec.Containers[0]
	if !slices.Contains(c.Args, "serve") || !slices.Contains(c.Args, "--watch") {
		t.Errorf("args %v: want serve --watch (reload when the ConfigMap changes)", c.Args)
	}
	_, addrPort, err := net.SplitHostPort(c.env("FIGCHECK_ADDR"))
	if err != nil {
		t.Fatalf("FIGCHECK_ADDR: %v", err)
	}
	if addrPort != df.expose || c.port("http") != atoi(t, df.expose) {
		t.Errorf("listen port %s, container port http %d, Dockerfile EXPOSE %s: want one port", addrPort, c.port("http"), df.expose)
	}
	for name, p := range map[string]*probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		want := map[string]string{"readiness": "/readyz", "liveness": "/healthz"}[name]
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want {
			t.Errorf("%s probe: want httpGet %s", name, want)
			continue
		}
		if c.port(p.HTTPGet.Port) != c.port("http") {
			t.Errorf("%s probe port %v is not the http port", name, p.HTTPGet.Port)
		}
	}
	checkRoutes(t, "/readyz", "/healthz", "/metrics")
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" {
			t.Errorf("figcheck: no %s request", r)
		}
	}
	if c.Resources.Limits["memory"] == "" {
		t.Error("figcheck: no memory limit")
	}
	if c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem ||
		c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Error("figcheck: want a read-only root filesystem and no privilege escalation")
	}

	// The forms: ConfigMap → volume → mount → FIGCHECK_RULES, the
	// Dockerfile's path, so a mount replaces the baked-in forms.
	rulesPath := c.env("FIGCHECK_RULES")
	if rulesPath != df.env["FIGCHECK_RULES"] {
		t.Errorf("FIGCHECK_RULES %q, the Dockerfile's %q", rulesPath, df.env["FIGCHECK_RULES"])
	}
	mounted := ""
	for _, m := range c.VolumeMounts {
		if m.MountPath == rulesPath {
			mounted = m.Name
		}
	}
	cm := get(t, objs, "ConfigMap/figcheck-forms")
	found := false
	for _, v := range tmpl.Spec.Volumes {
		if v.Name != mounted {
			continue
		}
		found = true
		if v.ConfigMap == nil || v.ConfigMap.Name != cm.Metadata.Name {
			t.Fatalf("volume %s is not the ConfigMap %s", v.Name, cm.Metadata.Name)
		}
		var keys []string
		for _, it := range v.ConfigMap.Items {
			keys = append(keys, it.Key)
			if want := strings.Replace(it.Key, ".", "/", 1); it.Path != want {
				t.Errorf("item %s has path %s, want %s (<form>/<file>)", it.Key, it.Path, want)
			}
		}
		slices.Sort(keys)
		if data := slices.Sorted(mapKeys(cm.Data)); !slices.Equal(keys, data) {
			t.Errorf("the volume's items %v are not the ConfigMap's keys %v: update deployment.yaml", keys, data)
		}
	}
	if !found {
		t.Errorf("nothing is mounted at FIGCHECK_RULES=%s", rulesPath)
	}

	// The config file: strict keys, and the receipt key from the Secret.
	cfgMap := get(t, objs, "ConfigMap/figcheck-config")
	cfgFile := filepath.Join(t.TempDir(), "figcheck.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfgMap.Data["figcheck.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(c.Args, "--config"); i < 0 || i+1 >= len(c.Args) || !strings.HasPrefix(c.Args[i+1], mountOf(c, "config")+"/") {
		t.Errorf("args %v: want --config <the config volume>/figcheck.yaml", c.Args)
	}
	fileCfg, err := api.LoadConfigFile(cfgFile)
	if err != nil {
		t.Errorf("figcheck-config: %v", err)
	}
	if len(fileCfg.Receipts.Keys) == 0 {
		t.Error("no receipt key: each replica would sign with a development key of its own")
	}
	for _, k := range fileCfg.Receipts.Keys {
		if !strings.HasPrefix(k.SecretFile, mountOf(c, "secrets")+"/") {
			t.Errorf("receipt key %s: %s is not in the Secret's mount", k.ID, k.SecretFile)
		}
	}
	if !strings.HasPrefix(fileCfg.Tokens, mountOf(c, "secrets")+"/") {
		t.Errorf("tokens %q: want the tokens file from the Secret (a non-loopback address needs one)", fileCfg.Tokens)
	}
	if mountOf(c, "state") != c.env("XDG_STATE_HOME") {
		t.Errorf("XDG_STATE_HOME %q is not the writable state volume", c.env("XDG_STATE_HOME"))
	}

	// Redis: the URL names its Service and port.
	u, err := url.Parse(fileCfg.RedisURL)
	if err != nil || u.Scheme != "redis" {
		t.Fatalf("redis %q: %v", fileCfg.RedisURL, err)
	}
	rsvc := get(t, objs, "Service/"+u.Hostname())
	if len(rsvc.Spec.Ports) != 1 || strconv.Itoa(rsvc.Spec.Ports[0].Port) != u.Port() {
		t.Errorf("Service %s ports %v do not serve %s", u.Hostname(), rsvc.Spec.Ports, u.Host)
	}
	rdep := get(t, objs, "StatefulSet/"+u.Hostname())
	if !subset(serviceSelector(t, rsvc.file, u.Hostname()), rdep.Spec.Template.Metadata.Labels) {
		t.Error("the Redis Service does not select the Redis pods")
	}
	for _, rc := range rdep.Spec.Template.Spec.Containers {
		if rc.ReadinessProbe == nil || rc.LivenessProbe == nil || rc.Resources.Requests["memory"] == "" {
			t.Errorf("redis container %s: want probes and a memory request", rc.Name)
		}
		// Cache entries carry a TTL and may be evicted; the decision log
		// stream has none and must survive evictions and restarts.
		if !slices.Contains(rc.Args, "volatile-lru") || !slices.Contains(rc.Args, "--appendonly") {
			t.Errorf("redis args %v: want --appendonly yes and volatile-lru", rc.Args)
		}
	}
	if rdep.Spec.Template.Spec.SecurityContext.RunAsNonRoot == nil {
		t.Error("redis: runAsNonRoot is not set")
	}

	// PostgreSQL: the system of record and the decision log, one for every
	// replica. Its URL (with the password) comes from a Secret, never the
	// ConfigMap; the Service and StatefulSet it names exist.
	if fileCfg.DB != "" || !strings.Contains(deploymentText(t), "name: FIGCHECK_DB") {
		t.Errorf("db %q in the ConfigMap: want FIGCHECK_DB from a Secret", fileCfg.DB)
	}
	if sink := fileCfg.DecisionLog.Sink; sink != "db" && sink != "" {
		t.Errorf("decision_log.sink %q: want db, one log for every replica", sink)
	}
	psvc := get(t, objs, "Service/figcheck-postgres")
	pset := get(t, objs, "StatefulSet/figcheck-postgres")
	if !subset(serviceSelector(t, psvc.file, "figcheck-postgres"), pset.Spec.Template.Metadata.Labels) ||
		len(psvc.Spec.Ports) != 1 || psvc.Spec.Ports[0].Port != 5432 {
		t.Error("the PostgreSQL Service does not serve the PostgreSQL pods on 5432")
	}
	for _, pc := range pset.Spec.Template.Spec.Containers {
		if pc.ReadinessProbe == nil || pc.LivenessProbe == nil || pc.Resources.Requests["memory"] == "" {
			t.Errorf("postgres container %s: want probes and a memory request", pc.Name)
		}
	}
}

func deploymentText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mountOf returns where the volume is mounted in c.
func mountOf(c *container, volume string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath
		}
	}
	return ""
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkRoutes asks a real server (embedded forms) for the probe paths.
func checkRoutes(t *testing.T, paths ...string) {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // the receipt development key
	cfg := api.DefaultConfig()
	cfg.Rules = formsDir
	cfg.DecisionLog.Sink = "off"
	srv, err := api.New(cfg, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, p := range paths {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", p, resp.Status)
		}
	}
}

// formsConfigMap renders the ConfigMap of every form file below dir,
// keyed "<form directory>.<file>".
func formsConfigMap(t *testing.T, dir string) []byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no form files below %s (%v)", dir, err)
	}
	data := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data[filepath.Base(filepath.Dir(f))+"."+filepath.Base(f)] = string(b)
	}
	cm := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "figcheck-forms", "labels": map[string]string{
			"app.kubernetes.io/name": "figcheck", "app.kubernetes.io/part-of": "figcheck"}},
		"data": data,
	}
	var b bytes.Buffer
	b.WriteString("# Code generated by `go test ./deploy -run TestFormsConfigMap -update` from\n")
	b.WriteString("# configs/forms; DO NOT EDIT. Keys are <form directory>.<file>; the\n")
	b.WriteString("# Deployment maps each back to <form directory>/<file>.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cm); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFormsConfigMap keeps forms-configmap.yaml equal to configs/forms.
func TestFormsConfigMap(t *testing.T) {
	want := formsConfigMap(t, formsDir)
	if *update {
		if err := os.WriteFile("forms-configmap.yaml", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("forms-configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("deploy/forms-configmap.yaml is not configs/forms: run go test ./deploy -run TestFormsConfigMap -update (and add new files to the items in deployment.yaml)")
	}
}

// kubeletWrite lays files out as the kubelet's atomic writer does for a
// ConfigMap volume with items: a timestamped directory holding the
// files, a ..data symlink to it and, for each top-level entry, a symlink
// through ..data. A second call swaps the content in one rename, as an
// update of the ConfigMap does.
func kubeletWrite(t *testing.T, dir string, files map[string][]byte, gen int) {
	t.Helper()
	ts := fmt.Sprintf("..2026_11_28_21_%02d_00.%d", gen, 1000+gen)
	tops := map[string]bool{}
	for p, b := range files {
		full := filepath.Join(dir, ts, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
		tops[strings.Split(p, "/")[0]] = true
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	if err := os.Symlink(ts, filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for top := range tops {
		link := filepath.Join(dir, top)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(path.Join("..data", top), link); err != nil {
			t.Fatal(err)
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConfigMapReload mounts the ConfigMap as the kubelet would (items
// mapped into the form's directory), serves it with --watch, updates it,
// and waits for the new ruleset.
func TestConfigMapReload(t *testing.T) {
	objs := manifests(t)
	cm := get(t, objs, "ConfigMap/figcheck-forms")
	dep := get(t, objs, "Deployment/figcheck")
	files := map[string][]byte{}
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == cm.Metadata.Name {
			for _, it := range v.ConfigMap.Items {
				files[it.Path] = []byte(cm.Data[it.Key])
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("the Deployment mounts no item of the forms ConfigMap")
	}
	dir := t.TempDir()
	kubeletWrite(t, dir, files, 1)
	want, err := configs.LoadRules(formsDir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := configs.LoadRules(dir)
	if err != nil {
		t.Fatalf("the mounted ConfigMap does not load: %v", err)
	}
	for _, id := range want.FormIDs() {
		wf, _ := want.Form(id)
		gf, ok := got.Form(id)
		if !ok || gf.Digest != wf.Digest {
			t.Fatalf("form %s: mounted digest differs from configs/forms", id)
		}
	}

	t.Setenv("XDG_STATE_HOME", t.TempDir())
	cfg := api.DefaultConfig()
	cfg.Rules, cfg.Watch = dir, true
	cfg.DecisionLog.Sink = "off"
	srv, err := api.New(cfg, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	before := srv.Ruleset().Digest
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Watch(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond) // let the watcher start

	changed := map[string][]byte{}
	for p, b := range files {
		changed[p] = b
		if strings.HasSuffix(p, "/00_indicators.yaml") {
			changed[p] = append([]byte("# updated\n"), b...)
		}
	}
	kubeletWrite(t, dir, changed, 2)
	deadline := time.Now().Add(10 * time.Second)
	for srv.Ruleset().Digest == before {
		if time.Now().After(deadline) {
			t.Fatal("the ruleset was not reloaded within 10s of the ConfigMap update")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, "..2026_11_28_21_01_00.1001")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the old generation is still there")
	}
}

// dockerfile is what the tests read from the Dockerfile.
type dockerfile struct {
	stages     []string // base images
	goVersion  string
	build      string // the go build command of the build stage
	user       string
	expose     string
	env        map[string]string
	entrypoint string
	health     string
	copies     []string
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	df := dockerfile{env: map[string]string{}}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "ARG":
			if v, ok := strings.CutPrefix(rest, "GO_VERSION="); ok {
				df.goVersion = v
			}
		case "FROM":
			df.stages = append(df.stages, strings.Fields(rest)[0])
		case "RUN":
			if strings.Contains(rest, "go build") {
				df.build = rest
			}
		case "USER":
			df.user, _, _ = strings.Cut(rest, ":")
		case "EXPOSE":
			df.expose = strings.Fields(rest)[0]
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				df.env[k] = v
			}
		case "ENTRYPOINT":
			df.entrypoint = rest
		case "HEALTHCHECK":
			df.health = rest
		case "COPY":
			df.copies = append(df.copies, rest)
		}
	}
	return df
}

func TestDockerfile(t *testing.T) {
	df := parseDockerfile(t)
	if len(df.stages) < 2 {
		t.Errorf("%d stages, want a build stage and a small final one", len(df.stages))
	}
	if final := df.stages[len(df.stages)-1]; !strings.Contains(final, "distroless/static") && final != "scratch" {
		t.Errorf("final image %s: want distroless/static or scratch for a static binary", final)
	}
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if goLine == nil || string(goLine[1]) != df.goVersion {
		t.Errorf("GO_VERSION %q, go.mod says %q", df.goVersion, goLine)
	}
	if !strings.Contains(df.build, "CGO_ENABLED=0") || !strings.Contains(df.build, "./cmd/figcheck") {
		t.Errorf("build command %q: want CGO_ENABLED=0 go build ... ./cmd/figcheck", df.build)
	}
	if uid, err := strconv.Atoi(df.user); err != nil || uid == 0 {
		t.Errorf("USER %q: want a numeric non-root uid (runAsNonRoot can check only numbers)", df.user)
	}
	bin := strings.Trim(strings.Trim(df.entrypoint, "[]"), `"`)
	bin, _, _ = strings.Cut(bin, `"`)
	if !strings.Contains(df.health, `"`+bin+`", "healthcheck"`) {
		t.Errorf("HEALTHCHECK %q: want exec form running %s healthcheck", df.health, bin)
	}
	if !slices.ContainsFunc(df.copies, func(c string) bool { return strings.HasSuffix(c, " "+bin) }) {
		t.Errorf("no COPY puts the binary at the ENTRYPOINT %s", bin)
	}
	if !slices.ContainsFunc(df.copies, func(c string) bool {
		return strings.Contains(c, "configs/forms "+df.env["FIGCHECK_RULES"])
	}) {
		t.Errorf("configs/forms is not copied to FIGCHECK_RULES=%s", df.env["FIGCHECK_RULES"])
	}
	// bench/opa/run measures the binary the image ships.
	bench, err := os.ReadFile("../bench/opa/run")
	if err != nil {
		t.Fatal(err)
	}
	flags := strings.TrimSpace(strings.SplitN(strings.SplitN(df.build, "go build", 2)[1], "-o ", 2)[0])
	if !strings.Contains(string(bench), "CGO_ENABLED=0 go build "+flags) {
		t.Errorf("bench/opa/run does not build with the Dockerfile's flags %q", flags)
	}
}

func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, strings.TrimPrefix(l, "/"))
		}
	}
	excluded := func(p string) bool {
		parts := strings.Split(p, "/")
		for _, pat := range patterns {
			for i := range parts {
				for j := i + 1; j <= len(parts); j++ {
					if i > 0 && !strings.HasPrefix(pat, "**/") {
						continue
					}
					sub := strings.Join(parts[i:j], "/")
					if ok, _ := filepath.Match(strings.TrimPrefix(pat, "**/"), sub); ok {
						return true
					}
				}
			}
		}
		return false
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/figcheck/main.go", "api/server.go", "configs/configs.go",
		"configs/forms/edu_sports_halfyear/00_indicators.yaml", "rules/compile.go", "checker/checker.go"} {
		if excluded(p) {
			t.Errorf(".dockerignore excludes %s, which the build needs", p)
		}
	}
	for _, p := range []string{".git/config", "bench/opa/.bin/opa", "api/testdata/full.json", "checker.test"} {
		if !excluded(p) {
			t.Errorf(".dockerignore lets %s into the build context", p)
		}
	}
}

// TestStaticBinary runs the Dockerfile's build command, checks the binary
// is static, serves the embedded forms with it from an empty directory,
// and probes it with its own healthcheck.
func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: -short (builds the binary)")
	}
	df := parseDockerfile(t)
	words := shellWords(df.build)
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") {
		env = append(env, words[0])
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("cannot run %q", df.build)
	}
	out := filepath.Join(t.TempDir(), "figcheck")
	for i, w := range words {
		if w == "-o" && i+1 < len(words) {
			words[i+1] = out
		}
	}
	cmd := exec.Command("go", words[1:]...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", df.build, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has an ELF interpreter: it is dynamically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	f.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var log bytes.Buffer
	srv := exec.Command(out, "serve", "--addr", addr)
	srv.Dir = t.TempDir() // no configs/forms here: the embedded forms
	srv.Env = []string{"HOME=" + srv.Dir}
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	probe := func(args ...string) int {
		c := exec.Command(out, append([]string{"healthcheck", "--timeout", "1s"}, args...)...)
		c.Env = []string{"FIGCHECK_ADDR=" + addr}
		_ = c.Run()
		return c.ProcessState.ExitCode()
	}
	deadline := time.Now().Add(10 * time.Second)
	for probe("--ready") != 0 {
		if time.Now().After(deadline) {
			_ = srv.Process.Kill()
			_ = srv.Wait()
			t.Fatalf("never ready:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := probe(); code != 0 {
		t.Errorf("healthcheck: exit %d", code)
	}
	_ = srv.Process.Kill()
	_ = srv.Wait()
	if code := probe(); code != 1 {
		t.Errorf("healthcheck of a stopped server: exit %d, want 1", code)
	}
	if code := probe("--addr", "no-port"); code != 2 {
		t.Errorf("healthcheck --addr no-port: exit %d, want 2", code)
	}
}

// shellWords splits a simple shell command line: words, with double
// quotes grouping and removed.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, has := false, false
	for _, r := range s {
		switch {
		case r == '"':
			in, has = !in, true
		case (r == ' ' || r == '\t') && !in:
			if has {
				words = append(words, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		words = append(words, cur.String())
	}
	return words
}
