package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/figcheck/figcheck/extract"
	"github.com/gin-gonic/gin"
)

// docxTextKey holds, in the gin context, the text read from an uploaded
// document, which /v1/extract gives back so that its offsets can be shown.
const docxTextKey = "figcheck.docx_text"

// maxDocxField bounds one plain field of a multipart upload (form, unit,
// period, previous).
const maxDocxField = 64 << 10

// docxUpload lets /v1/extract and /v1/check take a Word document: a
// multipart form with the .docx in "file" (and "form", "unit", "period",
// "previous" as fields), or the .docx itself as the body with the Word
// content type (and form, unit, period in the query). It reads the text
// with extract.ReadDocx and hands the handler the JSON body it reads for
// text ({form, text} for extract; unit, period and previous too for a
// check), so that decoding and checking stay in one place. Other requests
// pass through untouched.
func (s *Server) docxUpload(check bool) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		mt, params, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
		if mt != extract.DocxContentType && mt != "multipart/form-data" {
			return nil
		}
		limit := s.cfg.Limits.DocxBody
		if limit <= 0 {
			limit = 16 << 20
		}
		body := http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		fields := map[string]string{}
		var doc []byte
		var err error
		if mt == extract.DocxContentType {
			q := c.Request.URL.Query()
			for _, k := range []string{"form", "unit", "period"} {
				if v := q.Get(k); v != "" {
					fields[k] = v
				}
			}
			doc, err = io.ReadAll(body)
		} else {
			doc, err = readMultipartDocx(body, params["boundary"], fields)
		}
		if err != nil {
			return uploadError(err, limit)
		}
		text, err := extract.ReadDocx(bytes.NewReader(doc), int64(len(doc)), extract.DocxLimits{XML: 8 * limit, Text: int(s.cfg.Limits.CheckBody)})
		switch {
		case errors.Is(err, extract.ErrDocxTooLarge):
			return apiError(CodeTooLarge, err.Error())
		case err != nil:
			return apiError(CodeInvalidRequest, err.Error())
		}
		c.Set(docxTextKey, text)
		req := map[string]any{"form": fields["form"], "text": text}
		if check {
			req["unit"], req["period"] = fields["unit"], fields["period"]
			if p := fields["previous"]; p != "" {
				req["previous"] = json.RawMessage(p)
			}
		}
		out, err := json.Marshal(req)
		if err != nil {
			return apiError(CodeMalformedJSON, `"previous" must be a JSON object: `+err.Error())
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(out))
		c.Request.ContentLength = int64(len(out))
		c.Request.Header.Set("Content-Type", "application/json")
		return nil
	}
}

// uploadError is the answer to a failed read of the upload.
func uploadError(err error, limit int64) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return apiErrorf(CodeTooLarge, "the upload is larger than the limit of %d bytes", limit)
	}
	return apiError(CodeInvalidRequest, "reading the upload: "+err.Error())
}

// errNoDocx is a multipart upload without its "file".
var errNoDocx = errors.New(`the multipart form has no "file" part with the .docx`)

// readMultipartDocx reads the "file" part and the small fields of a
// multipart upload.
func readMultipartDocx(r io.Reader, boundary string, fields map[string]string) ([]byte, error) {
	if boundary == "" {
		return nil, errors.New("multipart/form-data without a boundary")
	}
	mr := multipartReader(r, boundary)
	var doc []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		name := p.FormName()
		switch {
		case name == "file":
			if doc, err = io.ReadAll(p); err != nil {
				return nil, err
			}
		case name == "form" || name == "unit" || name == "period" || name == "previous":
			b, err := io.ReadAll(io.LimitReader(p, maxDocxField+1))
			if err != nil {
				return nil, err
			}
			if len(b) > maxDocxField {
				return nil, fmt.Errorf("field %q is longer than %d bytes", name, maxDocxField)
			}
			fields[name] = strings.TrimSpace(string(b))
		default:
			return nil, fmt.Errorf("unknown field %q: a .docx upload takes file, form, unit, period and previous", name)
		}
	}
	if doc == nil {
		return nil, errNoDocx
	}
	return doc, nil
}
