package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"

	"github.com/figcheck/figcheck/audit"
	"github.com/gin-gonic/gin"
)

// template answers GET /v1/forms/{form}/template.xlsx: the workbook a unit
// fills in (audit.WriteTemplate), which /v1/audit reads back as it is.
func (s *Server) template(c *gin.Context) error {
	f, err := s.form(c)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := audit.WriteTemplate(f, &out); err != nil {
		return fmt.Errorf("writing the template of %s: %w", f.ID, err) // internal
	}
	name := f.Title + "填报模板.xlsx"
	c.Header("Content-Disposition", `attachment; filename="template-`+f.ID+`.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	c.Header("ETag", `"`+f.Digest+`"`)
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, audit.ContentType(audit.OutXLSX), out.Bytes())
	return nil
}
