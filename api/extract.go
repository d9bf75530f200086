package api

import (
	"net/http"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/extract"
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
	// Text is the text read from an uploaded document, which offsets index.
	Text string `json:"text,omitempty"`
	*extract.Result
}

// extractFigures answers POST /v1/extract {form, text}: the figures found
// in report text, the placeholders left in it, and the indicators missing
// or ambiguous.
func (s *Server) extractFigures(c *gin.Context) error {
	body, err := readJSONBody(c, s.cfg.Limits.CheckBody)
	if err != nil {
		return err
	}
	var req extractRequest
	if err := checker.DecodeJSON(body, &req, "the body must be a JSON object {form, text}"); err != nil {
		return err
	}
	if req.Form == "" {
		return checker.ErrMissingForm
	}
	f, err := s.formByID(req.Form)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, extractResponse{Form: f.ID, Version: f.Digest, Text: c.GetString(docxTextKey), Result: extract.Extract(f, req.Text)})
	return nil
}
