package api

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestExtractEndpoint(t *testing.T) {
	s := newTestServer(t, nil)
	r := s.postJSON("/v1/extract", []byte(`{"form":"edu_sports_halfyear","text":"获得金牌3枚、银牌xx枚、铜牌５枚。xx市"}`))
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, trunc(r.Body))
	}
	var out struct {
		Form    string `json:"form"`
		Version string `json:"version"`
		Figures map[string]struct {
			Value   float64 `json:"value"`
			Snippet string  `json:"snippet"`
			Offset  int     `json:"offset"`
		} `json:"figures"`
		Placeholders []struct {
			ID     string `json:"id"`
			Offset int    `json:"offset"`
		} `json:"placeholders"`
		Missing   []string `json:"missing"`
		Ambiguous []any    `json:"ambiguous"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Form != shippedForm || out.Version == "" {
		t.Errorf("form %q version %q", out.Form, out.Version)
	}
	if g := out.Figures["gold_medals"]; g.Value != 3 || g.Offset != 4 || !strings.Contains(g.Snippet, "金牌3枚") {
		t.Errorf("gold_medals = %+v", g)
	}
	if b := out.Figures["bronze_medals"]; b.Value != 5 {
		t.Errorf("bronze_medals = %+v, want 5 from full-width digits", b)
	}
	if len(out.Placeholders) != 2 || out.Placeholders[0].ID != "silver_medals" || out.Placeholders[1].ID != "" {
		t.Errorf("placeholders %+v, want silver_medals then one without indicator", out.Placeholders)
	}
	if len(out.Missing) != 97-3 || out.Ambiguous == nil {
		t.Errorf("missing %d (want 94), ambiguous %v", len(out.Missing), out.Ambiguous)
	}
}

func TestExtractErrors(t *testing.T) {
	s := newTestServer(t, nil)
	tests := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"no form", "application/json", `{"text":"x"}`, 400, CodeMissingForm},
		{"unknown key", "application/json", `{"form":"edu_sports_halfyear","figures":{}}`, 400, CodeMalformedJSON},
		{"not json", "application/json", `{"form":`, 400, CodeMalformedJSON},
		{"trailing data", "application/json", `{"form":"edu_sports_halfyear"} {}`, 400, CodeMalformedJSON},
		{"text not a string", "application/json", `{"form":"edu_sports_halfyear","text":3}`, 400, CodeMalformedJSON},
		{"unknown form", "application/json", `{"form":"nope","text":"x"}`, 404, CodeUnknownForm},
		{"wrong type", "text/plain", `x`, 415, CodeUnsupportedType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, s.do(http.MethodPost, "/v1/extract", tt.ct, []byte(tt.body)), tt.status, tt.code)
		})
	}
}

func TestCheckText(t *testing.T) {
	s := newTestServer(t, nil)
	text, err := os.ReadFile("../extract/testdata/filled_report.txt")
	if err != nil {
		t.Fatal(err)
	}
	// The filled report passes; with more gold medals than events it fails
	// on the medal rule, and the response carries the extraction.
	bad := strings.Replace(string(text), "获得金牌11枚", "获得金牌19枚", 1)
	for _, tc := range []struct {
		name, text, verdict, rule string
		gold                      float64
	}{
		{"filled report", string(text), "pass", "", 11},
		{"too many golds", bad, "fail", "sport.gold_le_events", 19},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"form": shippedForm, "unit": "青川区", "period": "2025H1", "text": tc.text})
			r := s.postJSON("/v1/check", body)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, trunc(r.Body))
			}
			var out struct {
				Verdict    string `json:"verdict"`
				Violations []struct {
					Rule string `json:"rule"`
				} `json:"violations"`
				Extraction struct {
					Figures map[string]struct {
						Value float64 `json:"value"`
					} `json:"figures"`
				} `json:"extraction"`
			}
			if err := json.Unmarshal(r.Body, &out); err != nil {
				t.Fatal(err)
			}
			if out.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s (%+v)", out.Verdict, tc.verdict, out.Violations)
			}
			if tc.rule != "" && (len(out.Violations) == 0 || !strings.HasPrefix(out.Violations[0].Rule, "sport.gold")) {
				t.Errorf("violations %+v, want the gold medal rule", out.Violations)
			}
			if len(out.Extraction.Figures) != 97 || out.Extraction.Figures["gold_medals"].Value != tc.gold {
				t.Errorf("extraction has %d figures, gold %v", len(out.Extraction.Figures), out.Extraction.Figures["gold_medals"])
			}
		})
	}
	t.Run("text and figures", func(t *testing.T) {
		r := s.postJSON("/v1/check", []byte(`{"form":"edu_sports_halfyear","text":"金牌3枚","figures":{"gold_medals":3}}`))
		assertError(t, r, http.StatusBadRequest, CodeInvalidRequest)
	})
	t.Run("text without form", func(t *testing.T) {
		assertError(t, s.postJSON("/v1/check", []byte(`{"text":"金牌3枚"}`)), http.StatusBadRequest, CodeMissingForm)
	})
	t.Run("batch item with text", func(t *testing.T) {
		r := s.postJSON("/v1/check/batch", []byte(`[{"form":"edu_sports_halfyear","text":"获得金牌3枚"}]`))
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"extraction":{"figures":{"gold_medals"`) {
			t.Errorf("status %d: %s", r.Status, trunc(r.Body))
		}
	})
}

func TestConsole(t *testing.T) {
	s := newTestServer(t, nil)
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/", "text/html", "填报自查"},
		{"/audit", "text/html", "批量审核"},
		{"/ui/app.css", "text/css", "--accent"},
		{"/ui/unit.js", "javascript", "/v1/extract"},
		{"/ui/audit.js", "javascript", "/v1/audit"},
	} {
		r := s.get(tc.path)
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(string(r.Body), tc.contains) {
			t.Errorf("GET %s: %d %s", tc.path, r.Status, r.Header.Get("Content-Type"))
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: CSP %q", tc.path, csp)
		}
	}
	// Nothing outside the embedded files, and no directory listing.
	for _, p := range []string{"/ui/", "/ui/../go.mod", "/ui/%2e%2e/go.mod", "/ui/nope.js", "/ui/static/unit.html"} {
		assertError(t, s.get(p), http.StatusNotFound, CodeNotFound)
	}
	// The pages load nothing from another origin.
	for _, p := range []string{"/", "/audit", "/ui/app.css", "/ui/common.js", "/ui/unit.js", "/ui/audit.js"} {
		body := string(s.get(p).Body)
		for _, bad := range []string{"http://", "https://", "//cdn", "@import", "url("} {
			if strings.Contains(body, bad) {
				t.Errorf("%s refers to %q: the console must work offline", p, bad)
			}
		}
	}
}
