package api

import (
	"bytes"
	"net/http"
	"net/url"

	"github.com/figcheck/figcheck/audit"
	"github.com/gin-gonic/gin"
)

// template answers GET /v1/forms/{form}/template.xlsx: the workbook a unit
// fills in (audit.WriteTemplate), which /v1/audit reads back as it is.
func (s *Server) template(c *gin.Context) {
	f, ok := s.form(c)
	if !ok {
		return
	}
	var out bytes.Buffer
	if err := audit.WriteTemplate(f, &out); err != nil {
		s.log.Error("writing a template failed", "form", f.ID, "err", err)
		fail(c, http.StatusInternalServerError, CodeInternal, "writing the template failed")
		return
	}
	name := f.Title + "填报模板.xlsx"
	c.Header("Content-Disposition", `attachment; filename="template-`+f.ID+`.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	c.Header("ETag", `"`+f.Digest+`"`)
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, audit.ContentType(audit.OutXLSX), out.Bytes())
}
