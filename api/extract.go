package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/rules"
	"github.com/gin-gonic/gin"
)

// extractRequest is the body of POST /v1/extract.
type extractRequest struct {
	Form string `json:"form"`
	Text string `json:"text"`
}

// extractResponse is an extraction with the form it was made for.
type extractResponse struct {
	Form    string `json:"form"`
	Version string `json:"version"`
	*extract.Result
}

// extractFigures answers POST /v1/extract {form, text}: the figures found
// in report text, the placeholders left in it, and the indicators missing
// or ambiguous.
func (s *Server) extractFigures(c *gin.Context) {
	body, ok := readJSONBody(c, s.cfg.Limits.CheckBody)
	if !ok {
		return
	}
	var req extractRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		fail(c, http.StatusBadRequest, CodeMalformedJSON, "the body must be a JSON object {form, text}: "+err.Error())
		return
	}
	if dec.More() {
		fail(c, http.StatusBadRequest, CodeMalformedJSON, "unexpected data after the JSON object")
		return
	}
	if req.Form == "" {
		fail(c, http.StatusBadRequest, CodeMissingForm, `missing "form"`)
		return
	}
	f, ok := s.formByID(c, req.Form)
	if !ok {
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, extractResponse{Form: f.ID, Version: f.Digest, Result: extract.Extract(f, req.Text)})
}

// errTextAndFigures rejects a check that gives both text and figures.
var errTextAndFigures = errors.New(`give "figures" or "text", not both`)

// textExtraction fills sub.Figures from sub.Text when the submission has
// text and no figures, and returns the extraction; it returns nil when the
// submission has no text.
func textExtraction(f *rules.Form, sub *checker.Submission) (*extract.Result, error) {
	if sub.Text == "" {
		return nil, nil
	}
	if len(sub.Figures) > 0 {
		return nil, errTextAndFigures
	}
	res := extract.Extract(f, sub.Text)
	sub.Figures = res.Values()
	return res, nil
}

// withExtraction appends the "extraction" member to an encoded result
// object.
func withExtraction(body []byte, res *extract.Result) []byte {
	if res == nil || len(body) < 2 || body[len(body)-1] != '}' {
		return body
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(res) // a Result holds only encodable values
	return withMember(body, "extraction", bytes.TrimRight(b.Bytes(), "\n"))
}
