package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostileBodies are bodies a careless or malicious client sends. Each must
// get a 4xx in the error shape or a 200 (the checker reporting builtin
// violations), never a 500.
func hostileBodies() map[string]string {
	many := make(map[string]any, 10000)
	for i := range 10000 {
		many[fmt.Sprintf("field_%d", i)] = i
	}
	manyJSON, _ := json.Marshal(map[string]any{"form": shippedForm, "figures": many})
	return map[string]string{
		"malformed":               `{"form":"edu_sports_halfyear",,}`,
		"empty":                   ``,
		"whitespace":              "   \n\t ",
		"null":                    `null`,
		"a number":                `42`,
		"a string":                `"edu_sports_halfyear"`,
		"an array":                `[{"form":"edu_sports_halfyear"}]`,
		"huge":                    `{"form":"edu_sports_halfyear","unit":"` + strings.Repeat("长", 1<<20) + `"}`,
		"deeply nested arrays":    strings.Repeat("[", 100000),
		"deeply nested objects":   strings.Repeat(`{"a":`, 100000),
		"nested in figures":       `{"form":"edu_sports_halfyear","figures":{"gold_medals":` + strings.Repeat("[", 100000) + `}}`,
		"nested value closed":     `{"form":"edu_sports_halfyear","figures":{"gold_medals":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}`,
		"non-UTF-8 form":          "{\"form\":\"\xff\xfe\",\"figures\":{}}",
		"non-UTF-8 key":           "{\"form\":\"edu_sports_halfyear\",\"figures\":{\"\xc3\x28\":1}}",
		"non-UTF-8 value":         "{\"form\":\"edu_sports_halfyear\",\"figures\":{\"gold_medals\":\"\xe2\x82\"}}",
		"UTF-16 BOM":              "\xfe\xff\x00{",
		"UTF-8 BOM":               "\xef\xbb\xbf{\"form\":\"edu_sports_halfyear\"}",
		"NUL bytes":               "{\"form\":\"edu\x00sports\"}",
		"form is a number":        `{"form":1}`,
		"form is an object":       `{"form":{"id":"edu_sports_halfyear"}}`,
		"unit is an array":        `{"form":"edu_sports_halfyear","unit":["a"]}`,
		"figures as array":        `{"form":"edu_sports_halfyear","figures":[1,2,3]}`,
		"figures as string":       `{"form":"edu_sports_halfyear","figures":"gold_medals=3"}`,
		"figures null":            `{"form":"edu_sports_halfyear","figures":null}`,
		"numbers as objects":      `{"form":"edu_sports_halfyear","figures":{"gold_medals":{"value":3},"events_entered":[4]}}`,
		"booleans and null":       `{"form":"edu_sports_halfyear","figures":{"gold_medals":true,"events_entered":null}}`,
		"NaN strings":             `{"form":"edu_sports_halfyear","figures":{"gold_medals":"NaN","events_entered":"Inf","benke_rate":"-Infinity","tier1_rate":"nan%"}}`,
		"NaN literal":             `{"form":"edu_sports_halfyear","figures":{"gold_medals":NaN}}`,
		"huge numbers":            `{"form":"edu_sports_halfyear","figures":{"gold_medals":1e400,"events_entered":-1e308,"benke_rate":123456789012345678901234567890}}`,
		"huge number strings":     `{"form":"edu_sports_halfyear","figures":{"gold_medals":"1e400","events_entered":"99999999999999999999999"}}`,
		"tiny numbers":            `{"form":"edu_sports_halfyear","figures":{"gold_medals":1e-400,"events_entered":-0}}`,
		"odd strings":             `{"form":"edu_sports_halfyear","figures":{"gold_medals":"  ","events_entered":"1,2,3,4","benke_rate":"%%","tier1_rate":"--1"}}`,
		"previous wrong types":    `{"form":"edu_sports_halfyear","previous":{"benke_rate":{"x":1}},"figures":{"benke_rate":50}}`,
		"previous as array":       `{"form":"edu_sports_halfyear","previous":[1]}`,
		"explanations wrong type": `{"form":"edu_sports_halfyear","explanations":{"x":1}}`,
		"explanations as list":    `{"form":"edu_sports_halfyear","explanations":["x"]}`,
		"duplicate keys":          `{"form":"edu_sports_halfyear","figures":{"gold_medals":1,"gold_medals":2,"金牌数":3}}`,
		"10k fields":              string(manyJSON),
		"long key":                `{"form":"edu_sports_halfyear","figures":{"` + strings.Repeat("k", 100000) + `":1}}`,
		"expr injection":          `{"form":"edu_sports_halfyear","figures":{"gold_medals":"1) || true || (1","events_entered":"len(\"x\")"}}`,
		"template injection":      `{"form":"edu_sports_halfyear","unit":"{{gold_medals}}","figures":{"gold_medals":"{{ panic() }}"}}`,
		"prototype-ish keys":      `{"form":"edu_sports_halfyear","figures":{"__proto__":1,"constructor":2,"previous.gold_medals":3,"":4}}`,
		"unicode escapes":         `{"form":"edu_sports_halfyear","figures":{"\u91d1\u724c\u6570":"\ud800"}}`,
		"form path traversal":     `{"form":"../../etc/passwd"}`,
		"trailing garbage":        `{"form":"edu_sports_halfyear"} garbage`,
		"two objects":             `{"form":"edu_sports_halfyear"}{"form":"edu_sports_halfyear"}`,
	}
}

func TestHostileBodies(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.CheckBody = 2 << 20 // let "10k fields" and "nested" reach the decoder
	s := newTestServer(t, &cfg)
	for name, body := range hostileBodies() {
		for _, path := range []string{"/v1/check", "/v1/check/batch"} {
			b := body
			if path == "/v1/check/batch" {
				b = "[" + body + "]"
			}
			t.Run(name+" "+path, func(t *testing.T) {
				r := s.postJSON(path, []byte(b))
				assertSafe(t, r)
			})
		}
	}
	// The server still answers normally.
	if r := s.postJSON("/v1/check", mustJSON(t, fullSubmission(t))); r.Status != 200 {
		t.Fatalf("after hostile bodies: %d", r.Status)
	}
}

// TestHostileWrongTypesAreViolations: values of the wrong kind inside
// figures are the checker's business (builtin violations), not a 400.
func TestHostileWrongTypesAreViolations(t *testing.T) {
	s := newTestServer(t, nil)
	for _, body := range []string{
		`{"form":"edu_sports_halfyear","figures":{"gold_medals":{"value":3}}}`,
		`{"form":"edu_sports_halfyear","figures":{"gold_medals":"NaN"}}`,
		`{"form":"edu_sports_halfyear","figures":{"gold_medals":true}}`,
	} {
		r := s.postJSON("/v1/check", []byte(body))
		m := r.JSON(t)
		if r.Status != 200 || m["verdict"] != "fail" {
			t.Fatalf("%s: %d %s", body, r.Status, trunc(r.Body))
		}
		var found bool
		for _, v := range m["violations"].([]any) {
			if v.(map[string]any)["rule"] == "builtin.type" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no builtin.type violation: %s", body, trunc(r.Body))
		}
	}
}

// assertSafe: a 4xx in the error shape, or a 200 with a JSON object.
func assertSafe(t testing.TB, r response) {
	t.Helper()
	switch {
	case r.Status >= 500:
		t.Fatalf("status %d: %s", r.Status, trunc(r.Body))
	case r.Status == http.StatusOK:
		if !json.Valid(r.Body) || r.Body[0] != '{' {
			t.Fatalf("200 with a body that is not a JSON object: %s", trunc(r.Body))
		}
		if !utf8.Valid(r.Body) {
			t.Fatalf("200 with a body that is not UTF-8")
		}
	case r.Status >= 400:
		errorShape(t, r)
	default:
		t.Fatalf("unexpected status %d: %s", r.Status, trunc(r.Body))
	}
}

// FuzzCheck feeds arbitrary bodies to POST /v1/check and /v1/check/batch:
// never a 5xx, always a JSON body.
func FuzzCheck(f *testing.F) {
	for _, b := range hostileBodies() {
		if len(b) < 4096 {
			f.Add([]byte(b))
		}
	}
	f.Add([]byte(`{"form":"edu_sports_halfyear","unit":"u","period":"p","figures":{"gold_medals":9,"events_entered":4},"previous":{"benke_rate":"50%"},"explanations":{"sport.gold_le_events":"x"}}`))
	cfg := testConfig()
	cfg.Limits = LimitsConfig{CheckBody: 64 << 10, BatchBody: 64 << 10, BatchItems: 50}
	s := newTestServer(f, &cfg)
	f.Fuzz(func(t *testing.T, body []byte) {
		s.t = t
		assertSafe(t, s.postJSON("/v1/check", body))
		assertSafe(t, s.postJSON("/v1/check/batch", body))
	})
}
