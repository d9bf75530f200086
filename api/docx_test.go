package api

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/internal/docxtest"
)

// reportDocx is a short report with a figure in a paragraph and two in a
// table.
var reportDocx = docxtest.Docx(docxtest.Para("今年获得金牌9枚，银牌xx枚。") +
	docxtest.Table([]string{"指标", "数值"}, []string{"参赛项目", "4项"}, []string{"铜牌", "3枚"}))

func multipartDocx(t *testing.T, fields map[string]string, doc []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if doc != nil {
		w, _ := mw.CreateFormFile("file", "报告.docx")
		_, _ = w.Write(doc)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func TestDocxUpload(t *testing.T) {
	s := newTestServer(t, nil)
	ct, body := multipartDocx(t, map[string]string{"form": shippedForm}, reportDocx)
	tests := []struct {
		name, path, ct string
		body           []byte
	}{
		{"extract multipart", "/v1/extract", ct, body},
		{"extract word body", "/v1/extract?form=" + shippedForm, extract.DocxContentType, reportDocx},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(http.MethodPost, tt.path, tt.ct, tt.body)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, trunc(r.Body))
			}
			var out struct {
				Figures      map[string]struct{ Value float64 } `json:"figures"`
				Placeholders []struct{ ID string }              `json:"placeholders"`
				Text         string                             `json:"text"`
			}
			if err := json.Unmarshal(r.Body, &out); err != nil {
				t.Fatal(err)
			}
			for id, v := range map[string]float64{"gold_medals": 9, "events_entered": 4, "bronze_medals": 3} {
				if out.Figures[id].Value != v {
					t.Errorf("%s = %v, want %v (figures %v)", id, out.Figures[id].Value, v, out.Figures)
				}
			}
			if !strings.Contains(out.Text, "参赛项目\t4项") {
				t.Errorf("text %q: want the document's text with its table row", out.Text)
			}
			if len(out.Placeholders) != 1 || out.Placeholders[0].ID != "silver_medals" {
				t.Errorf("placeholders %+v, want silver_medals", out.Placeholders)
			}
		})
	}

	// A check from a document: 9 gold medals in 4 events fails.
	ct, body = multipartDocx(t, map[string]string{"form": shippedForm, "unit": "示例区", "period": "2025H1"}, reportDocx)
	r := s.do(http.MethodPost, "/v1/check", ct, body)
	if r.Status != http.StatusOK {
		t.Fatalf("check: status %d: %s", r.Status, trunc(r.Body))
	}
	if out := r.JSON(t); out["verdict"] != "fail" || out["extraction"] == nil || out["unit"] != "示例区" {
		t.Errorf("check from .docx: verdict %v unit %v extraction %v", out["verdict"], out["unit"], out["extraction"] != nil)
	}
}

func TestDocxUploadBad(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.DocxBody = 64 << 10
	s := newTestServer(t, &cfg)
	bomb := docxtest.Docx(docxtest.Para(strings.Repeat("x", 1<<20)))
	big := append(bytes.Repeat([]byte{0}, 128<<10), reportDocx...)
	noFile, noFileBody := multipartDocx(t, map[string]string{"form": shippedForm}, nil)
	odd, oddBody := multipartDocx(t, map[string]string{"form": shippedForm, "colour": "red"}, reportDocx)
	tests := []struct {
		name   string
		ct     string
		body   []byte
		status int
		code   string
	}{
		{"not a docx", extract.DocxContentType, []byte("金牌9枚"), http.StatusBadRequest, CodeInvalidRequest},
		{"unpacks past the limit", extract.DocxContentType, bomb, http.StatusRequestEntityTooLarge, CodeTooLarge},
		{"upload past the limit", extract.DocxContentType, big, http.StatusRequestEntityTooLarge, CodeTooLarge},
		{"multipart without file", noFile, noFileBody, http.StatusBadRequest, CodeInvalidRequest},
		{"multipart with an unknown field", odd, oddBody, http.StatusBadRequest, CodeInvalidRequest},
		{"multipart without boundary", "multipart/form-data", reportDocx, http.StatusBadRequest, CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(http.MethodPost, "/v1/extract?form="+shippedForm, tt.ct, tt.body)
			assertError(t, r, tt.status, tt.code)
		})
	}
	// A check's "previous" must be a JSON object.
	ct, body := multipartDocx(t, map[string]string{"form": shippedForm, "unit": "示例区", "period": "2025H1", "previous": "{金牌"}, reportDocx)
	assertError(t, s.do(http.MethodPost, "/v1/check", ct, body), http.StatusBadRequest, CodeMalformedJSON)
	// Without a form the handler's own error answers.
	r := s.do(http.MethodPost, "/v1/extract", extract.DocxContentType, reportDocx)
	assertError(t, r, http.StatusBadRequest, CodeMissingForm)
}
