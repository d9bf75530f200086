package api

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/checker"
)

// TestDocsListEveryErrorCode: the error table of docs/api.md is the code
// table of errors.go, status and code, no more and no less.
func TestDocsListEveryErrorCode(t *testing.T) {
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	start := strings.Index(section, "## Errors")
	if start < 0 {
		t.Fatal("docs/api.md has no Errors section")
	}
	section = section[start:]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	documented := map[string]int{}
	for _, m := range regexp.MustCompile("(?m)^\\| (\\d{3}) \\| `([a-z_]+)` \\|").FindAllStringSubmatch(section, -1) {
		status, _ := strconv.Atoi(m[1])
		if _, dup := documented[m[2]]; dup {
			t.Errorf("docs/api.md lists %s twice", m[2])
		}
		documented[m[2]] = status
	}
	for code, status := range codes {
		if got, ok := documented[code]; !ok {
			t.Errorf("code %s (%d) is not in docs/api.md's error table", code, status)
		} else if got != status {
			t.Errorf("code %s: docs/api.md says %d, the table %d", code, got, status)
		}
	}
	for code := range documented {
		if _, ok := codes[code]; !ok {
			t.Errorf("docs/api.md lists %s, which errors.go does not have", code)
		}
	}
}

// TestErrorFor: the sentinels of the libraries map to their codes by
// errors.Is/As, wrapped or not, never by their text.
func TestErrorFor(t *testing.T) {
	_, subErr := checker.DecodeSubmissionBytes([]byte(`{"unit":"x"}`))
	_, badErr := checker.DecodeSubmissionBytes([]byte(`{"form":1}`))
	for _, c := range []struct {
		err  error
		code string
	}{
		{subErr, CodeMissingForm},
		{fmt.Errorf("submission: %w", subErr), CodeMissingForm},
		{errors.New(`missing "form"`), CodeInternal}, // the text alone is nothing
		{badErr, CodeMalformedJSON},
		{&http.MaxBytesError{Limit: 10}, CodeTooLarge},
		{fmt.Errorf("%w: no header", audit.ErrFormat), CodeInvalidBatch},
		{checker.ErrTextAndFigures, CodeInvalidRequest},
		{apiError(CodeForbidden, "no"), CodeForbidden},
		{fmt.Errorf("wrapped: %w", apiError(CodeRateLimited, "slow")), CodeRateLimited},
		{errors.New("boom"), CodeInternal},
	} {
		if got := errorFor(c.err); got.Code != c.code || got.Status() != codes[c.code] {
			t.Errorf("errorFor(%v) = %s %d, want %s %d", c.err, got.Code, got.Status(), c.code, codes[c.code])
		}
	}
}

// TestErrorCodesInOneTable: every error code constant of the package is
// in the table codes: none is defined or given a status elsewhere.
func TestErrorCodesInOneTable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	def := regexp.MustCompile(`(?m)^\s*(Code[A-Za-z]+)\s*=\s*"([a-z_]+)"`)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range def.FindAllStringSubmatch(string(src), -1) {
			if name != "errors.go" {
				t.Errorf("%s: error code %s is defined outside errors.go", name, m[1])
			}
			if _, ok := codes[m[2]]; !ok {
				t.Errorf("%s: error code %s (%q) is not in the table codes", name, m[1], m[2])
			}
		}
	}
}

// TestEveryBodyStrict: every JSON body of the service is decoded by the
// one intake: a mis-cased key, a key given twice and trailing data are
// malformed_json on every endpoint (encoding/json took {"FORM":"a",
// "form":"b"} as form b on three of them).
func TestEveryBodyStrict(t *testing.T) {
	s := newTestServer(t, nil)
	sub := `{"form":"edu_sports_halfyear","figures":{"gold_medals":1}}`
	for _, c := range []struct{ path, body string }{
		{"/v1/check", `{"FORM":"a","form":"edu_sports_halfyear"}`},
		{"/v1/check", `{"form":"edu_sports_halfyear","form":"edu_sports_halfyear"}`},
		{"/v1/check/batch", `[` + sub + `] []`},
		{"/v1/check/batch", `{"items":[]}`},
		{"/v1/extract", `{"FORM":"a","form":"edu_sports_halfyear","text":""}`},
		{"/v1/extract", `{"form":"edu_sports_halfyear","text":"a","text":"b"}`},
		{"/v1/extract", `{"form":"edu_sports_halfyear","text":"\xff"}`},
		{"/v1/receipts/verify", `{"Receipt":{},"submission":` + sub + `}`},
		{"/v1/receipts/verify", `{"receipt":{"v":1},"submission":` + sub + `,"submission":` + sub + `}`},
	} {
		r := s.postJSON(c.path, []byte(c.body))
		if r.Status != 400 || r.JSON(t)["error"].(map[string]any)["code"] != CodeMalformedJSON {
			t.Errorf("%s %s: %d %s, want 400 malformed_json", c.path, c.body, r.Status, trunc(r.Body))
		}
	}
	// A batch item is held to the same decoder, and its error is counted.
	r := s.postJSON("/v1/check/batch", []byte(`[`+sub+`,{"Form":"x","form":"edu_sports_halfyear"}]`))
	if r.Status != 200 || !strings.Contains(string(r.Body), `"index":1,"error":{"code":"malformed_json"`) {
		t.Errorf("batch: %d %s", r.Status, trunc(r.Body))
	}
	if !strings.Contains(s.metricsText(), `figcheck_invalid_requests_total{code="malformed_json"} 10`+"\n") {
		t.Errorf("invalid requests:\n%s", grep(s.metricsText(), "invalid_requests"))
	}
}
