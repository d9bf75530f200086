package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/audit"
	"github.com/xuri/excelize/v2"
)

// TestTemplateEndpoint: the template downloads as a workbook named after
// the form, and /v1/audit reads it back filled in; the inputs of the
// audit are listed with their digests.
func TestTemplateEndpoint(t *testing.T) {
	s := newTestServer(t, nil)
	r := s.get("/v1/forms/" + shippedForm + "/template.xlsx")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != xlsxType ||
		!strings.Contains(r.Header.Get("Content-Disposition"), "filename*=UTF-8''") {
		t.Fatalf("template: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	x, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.SetCellValue(audit.SheetTemplate, "A2", "东区")
	x.SetCellValue(audit.SheetTemplate, "B2", "2025H1")
	var filled bytes.Buffer
	if _, err := x.WriteTo(&filled); err != nil {
		t.Fatal(err)
	}
	body, ct := multipartBody(t, map[string]string{"东区.xlsx": filled.String()})
	a := s.do(http.MethodPost, "/v1/audit?form="+shippedForm, ct, body)
	var rep struct {
		Summary  struct{ Rows, Problems int }
		Inputs   []audit.InputFile
		Problems []audit.Problem
	}
	if err := json.Unmarshal(a.Body, &rep); err != nil || a.Status != http.StatusOK {
		t.Fatalf("audit of the filled template: %d %s", a.Status, trunc(a.Body))
	}
	if rep.Summary.Rows != 1 || rep.Summary.Problems != 0 {
		t.Errorf("filled template: %+v %v", rep.Summary, rep.Problems)
	}
	if len(rep.Inputs) != 1 || rep.Inputs[0].Name != "东区.xlsx" || rep.Inputs[0].Size != int64(filled.Len()) || len(rep.Inputs[0].SHA256) != 64 {
		t.Errorf("inputs %+v", rep.Inputs)
	}
	assertError(t, s.get("/v1/forms/nope/template.xlsx"), http.StatusNotFound, CodeUnknownForm)
}
