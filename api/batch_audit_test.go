package api

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/audit"
	"github.com/xuri/excelize/v2"
)

const auditCSV = "单位,期间,金牌数,参赛项目数,集中学习次数\n" +
	"东区,2025H1,3,8,24\n" +
	"西区,2025H1,9,8,20\n" +
	"东区,2025H1,1,1,1\n"

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

type auditJSON struct {
	Summary struct {
		Rows, Units, Fail, Problems int
	} `json:"summary"`
	Rows []struct {
		Unit       string `json:"unit"`
		Violations []struct {
			Rule string `json:"rule"`
		} `json:"violations"`
	} `json:"rows"`
	Problems []struct {
		Row     int    `json:"row"`
		Message string `json:"message"`
	} `json:"problems"`
}

func decodeAudit(t *testing.T, r response) auditJSON {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, trunc(r.Body))
	}
	var out auditJSON
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("not an audit report: %v", err)
	}
	return out
}

func multipartBody(t *testing.T, files map[string]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("note", "ignored")
	for name, content := range files {
		fw, err := w.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(content))
	}
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func TestAuditRawBody(t *testing.T) {
	s := newTestServer(t, nil)
	rep := decodeAudit(t, s.do(http.MethodPost, "/v1/audit?form="+shippedForm, "text/csv; charset=utf-8", []byte(auditCSV)))
	if rep.Summary.Rows != 2 || rep.Summary.Units != 2 || rep.Summary.Problems != 1 || rep.Problems[0].Row != 4 {
		t.Errorf("summary %+v problems %+v", rep.Summary, rep.Problems)
	}
	found := false
	for _, r := range rep.Rows {
		for _, v := range r.Violations {
			found = found || (r.Unit == "西区" && v.Rule == "sport.gold_le_events")
		}
	}
	if !found {
		t.Error("西区's gold medals above events entered not reported")
	}
	nd := `{"unit":"东区","period":"2025H1","金牌数":3}` + "\n" + `{"unit":"西区","period":"2025H1","金牌数":9,"参赛项目数":8}` + "\n"
	if rep := decodeAudit(t, s.do(http.MethodPost, "/v1/audit?form="+shippedForm, "application/x-ndjson", []byte(nd))); rep.Summary.Rows != 2 {
		t.Errorf("NDJSON: %+v", rep.Summary)
	}
	// An octet-stream body with ?input= says its format.
	if rep := decodeAudit(t, s.do(http.MethodPost, "/v1/audit?input=csv&form="+shippedForm, "application/octet-stream", []byte(auditCSV))); rep.Summary.Rows != 2 {
		t.Errorf("?input=csv: %+v", rep.Summary)
	}
}

func TestAuditMultipartFormats(t *testing.T) {
	s := newTestServer(t, nil)
	body, ct := multipartBody(t, map[string]string{"units.csv": auditCSV, "more.ndjson": `{"unit":"南区","period":"2025H1","金牌数":2}` + "\n"})
	rep := decodeAudit(t, s.do(http.MethodPost, "/v1/audit?form="+shippedForm+"&format=json", ct, body))
	if rep.Summary.Rows != 3 || rep.Summary.Units != 3 {
		t.Errorf("two files: %+v", rep.Summary)
	}

	r := s.do(http.MethodPost, "/v1/audit?form="+shippedForm+"&format=csv", ct, body)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(r.Body, []byte("\ufeff类别,")) {
		t.Errorf("csv: %d %s %q", r.Status, r.Header.Get("Content-Type"), trunc(r.Body))
	}

	r = s.do(http.MethodPost, "/v1/audit?form="+shippedForm+"&format=xlsx", ct, body)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != xlsxType || !strings.Contains(r.Header.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("xlsx: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	x, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !slices.Equal(got, audit.Sheets) {
		t.Errorf("sheets %v", got)
	}
	raw, _ := x.GetRows("原始数据")
	if len(raw) != 4 {
		t.Errorf("原始数据 has %d rows, want a header and 3", len(raw))
	}

	// The XLSX report sent back in is read as a batch of its first sheet
	// (汇总), which has no unit column.
	assertError(t, s.do(http.MethodPost, "/v1/audit?form="+shippedForm, xlsxType, r.Body), http.StatusBadRequest, CodeInvalidBatch)
}

func TestAuditErrors(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.AuditBody = 1024
	s := newTestServer(t, &cfg)
	path := "/v1/audit?form=" + shippedForm
	noFile, noFileCT := multipartBody(t, nil)
	cases := []struct {
		name, path, ct string
		body           []byte
		status         int
		code           string
	}{
		{"bad format", path + "&format=pdf", "text/csv", []byte(auditCSV), http.StatusBadRequest, CodeInvalidRequest},
		{"bad input", path + "&input=xml", "text/csv", []byte(auditCSV), http.StatusBadRequest, CodeInvalidRequest},
		{"unknown form", "/v1/audit?form=nope", "text/csv", []byte(auditCSV), http.StatusNotFound, CodeUnknownForm},
		{"no content type", path, "", []byte(auditCSV), http.StatusUnsupportedMediaType, CodeUnsupportedType},
		{"pdf", path, "application/pdf", []byte("%PDF"), http.StatusUnsupportedMediaType, CodeUnsupportedType},
		{"empty csv", path, "text/csv", nil, http.StatusBadRequest, CodeInvalidBatch},
		{"no unit column", path, "text/csv", []byte("金牌数\n3\n"), http.StatusBadRequest, CodeInvalidBatch},
		{"bad encoding", path + "&encoding=latin1", "text/csv", []byte(auditCSV), http.StatusBadRequest, CodeInvalidBatch},
		{"json object", path, "application/json", []byte(`{"unit":"a"}`), http.StatusBadRequest, CodeInvalidBatch},
		{"broken json", path, "application/json", []byte(`[{"unit":`), http.StatusBadRequest, CodeInvalidBatch},
		{"not xlsx", path, xlsxType, []byte("PK not really"), http.StatusBadRequest, CodeInvalidBatch},
		{"unknown per", path + "&per=nope", "text/csv", []byte(auditCSV), http.StatusBadRequest, CodeInvalidRequest},
		{"no file", path, noFileCT, noFile, http.StatusBadRequest, CodeInvalidRequest},
		{"broken multipart", path, "multipart/form-data; boundary=xyz", []byte("--xyz\r\nbroken"), http.StatusBadRequest, CodeInvalidRequest},
		{"too large", path, "text/csv", []byte(auditCSV + strings.Repeat("北区,2025H1,1,2,3\n", 100)), http.StatusRequestEntityTooLarge, CodeTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertError(t, s.do(http.MethodPost, c.path, c.ct, c.body), c.status, c.code)
		})
	}
}
