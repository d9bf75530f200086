package api

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/gin-gonic/gin"
)

// CodeInvalidBatch is the error code of a batch that cannot be read: not
// the format it claims, no unit or period column, an unknown encoding.
const CodeInvalidBatch = "invalid_batch"

// audit answers POST /v1/audit?form=ID&format=json|csv|xlsx: a batch of
// units (CSV, XLSX, JSON array or NDJSON) sent as the body with its content
// type, or as the files of a multipart/form-data upload. Query parameters
// input (the input format, when the content type does not say), encoding
// (utf-8 or gb18030 for CSV) and per (a size indicator for peer outliers)
// are optional. Rows are read and checked as the body streams in.
func (s *Server) audit(c *gin.Context) {
	format := c.DefaultQuery("format", audit.OutJSON)
	switch format {
	case audit.OutJSON, audit.OutCSV, audit.OutXLSX:
	default:
		fail(c, http.StatusBadRequest, CodeInvalidRequest, "format must be json, csv or xlsx, got "+quote(format))
		return
	}
	input := c.Query("input")
	switch input {
	case "", audit.FormatCSV, audit.FormatXLSX, audit.FormatJSON, audit.FormatNDJSON:
	default:
		fail(c, http.StatusBadRequest, CodeInvalidRequest, "input must be csv, xlsx, json or ndjson, got "+quote(input))
		return
	}
	rs, ok := s.rulesetOr503(c)
	if !ok {
		return
	}
	f, ok := auditForm(c, rs)
	if !ok {
		return
	}
	ct := c.GetHeader("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		fail(c, http.StatusUnsupportedMediaType, CodeUnsupportedType,
			"send the batch as the body with its Content-Type (text/csv, application/json, application/x-ndjson, the XLSX type) or as multipart/form-data; got "+quote(ct))
		return
	}
	logRow := s.checkLogger(c)
	a, err := audit.New(f, audit.Options{
		Per: c.Query("per"), KeepCells: format == audit.OutXLSX,
		OnCheck: func(sub *checker.Submission, d [32]byte, res *checker.Result) { logRow(f, sub, d, res) },
	})
	if err != nil {
		fail(c, http.StatusBadRequest, CodeInvalidRequest, "per: "+err.Error())
		return
	}
	limit := s.cfg.Limits.AuditBody
	if limit <= 0 {
		limit = 64 << 20
	}
	body := http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	encoding := c.Query("encoding")
	files := 0
	if mt == "multipart/form-data" {
		mr := multipartReader(body, params["boundary"])
		for {
			part, perr := mr.NextPart()
			if errors.Is(perr, io.EOF) {
				break
			}
			if perr != nil {
				err = perr
				break
			}
			if part.FileName() == "" {
				_ = part.Close()
				continue
			}
			files++
			name := path.Base(part.FileName())
			err = readBatch(a, f, part, name, part.Header.Get("Content-Type"), input, encoding)
			_ = part.Close()
			if err != nil {
				err = fmt.Errorf("%s: %w", name, err)
				break
			}
		}
		if err == nil && files == 0 {
			a.Finish()
			fail(c, http.StatusBadRequest, CodeInvalidRequest, "the multipart upload holds no file")
			return
		}
	} else {
		if !batchMediaType(mt) && input == "" {
			a.Finish()
			fail(c, http.StatusUnsupportedMediaType, CodeUnsupportedType,
				"the body must be CSV, XLSX, JSON or NDJSON (or multipart/form-data); got "+quote(ct))
			return
		}
		err = readBatch(a, f, body, "", mt, input, encoding)
	}
	rep := a.Finish()
	for _, fd := range rep.Findings {
		// Kind is one of the audit's fixed test names, never client input.
		s.metrics.auditFindings.WithLabelValues(f.ID, fd.Kind).Inc()
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			fail(c, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is larger than the limit of %d bytes", limit))
		case errors.Is(err, audit.ErrFormat):
			fail(c, http.StatusBadRequest, CodeInvalidBatch, err.Error())
		default:
			fail(c, http.StatusBadRequest, CodeInvalidRequest, "reading the body: "+err.Error())
		}
		return
	}
	var out bytes.Buffer
	if err := rep.Write(&out, format); err != nil {
		fail(c, http.StatusInternalServerError, CodeInternal, "writing the report failed")
		return
	}
	if format != audit.OutJSON {
		c.Header("Content-Disposition", `attachment; filename="audit-`+f.ID+`.`+format+`"`)
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, audit.ContentType(format), out.Bytes())
}

// auditForm is the form named by ?form=, or the only form loaded.
func auditForm(c *gin.Context, rs *rules.Ruleset) (*rules.Form, bool) {
	id := c.Query("form")
	if id == "" {
		if ids := rs.FormIDs(); len(ids) == 1 {
			id = ids[0]
		} else {
			fail(c, http.StatusBadRequest, CodeMissingForm, "give the form as ?form=ID", gin.H{"forms": ids})
			return nil, false
		}
	}
	return formIn(c, rs, id)
}

func batchMediaType(mt string) bool {
	switch mt {
	case "text/csv", "text/plain", "application/csv", "application/json", "application/x-ndjson",
		"application/ndjson", "application/jsonl", "application/json-seq",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel":
		return true
	}
	return strings.HasSuffix(mt, "+json")
}

// readBatch reads one file of the batch; the format comes from input, the
// content type, the file name, then the first bytes.
func readBatch(a *audit.Auditor, f *rules.Form, r io.Reader, name, contentType, input, encoding string) error {
	br := bufio.NewReaderSize(a.Track(name, r), 64<<10)
	format := input
	if format == "" {
		ct := contentType
		if mt, _, err := mime.ParseMediaType(contentType); err == nil {
			ct = mt
		}
		if ct == "application/octet-stream" || ct == "text/plain" {
			ct = ""
		}
		head, _ := br.Peek(512)
		format = audit.DetectFormat(name, ct, head)
	}
	rr, err := audit.NewReader(f, br, format, encoding)
	if err != nil {
		return err
	}
	return a.Read(name, rr)
}

func multipartReader(r io.Reader, boundary string) *multipart.Reader {
	return multipart.NewReader(r, boundary)
}
