package api

import (
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

// audit answers POST /v1/audit?form=ID&format=json|csv|xlsx: a batch of
// units (CSV, XLSX, JSON array or NDJSON) sent as the body with its content
// type, or as the files of a multipart/form-data upload. Query parameters
// input (the input format, when the content type does not say), encoding
// (utf-8 or gb18030 for CSV) and per (a size indicator for peer outliers)
// are optional. Rows are read and checked as the body streams in.
func (s *Server) audit(c *gin.Context) error {
	format := c.DefaultQuery("format", audit.OutJSON)
	switch format {
	case audit.OutJSON, audit.OutCSV, audit.OutXLSX:
	default:
		return apiError(CodeInvalidRequest, "format must be json, csv or xlsx, got "+quote(format))
	}
	input := c.Query("input")
	switch input {
	case "", audit.FormatCSV, audit.FormatXLSX, audit.FormatJSON, audit.FormatNDJSON:
	default:
		return apiError(CodeInvalidRequest, "input must be csv, xlsx, json or ndjson, got "+quote(input))
	}
	rs, err := s.rulesetOr503()
	if err != nil {
		return err
	}
	f, err := onlyForm(rs, c.Query("form"), "?form=ID")
	if err != nil {
		return err
	}
	switch src := c.Query("source"); src {
	case "db":
		return s.auditStore(c, f, format) // store.go
	case "", "upload":
	default:
		return apiError(CodeInvalidRequest, "source must be upload (the default) or db, got "+quote(src))
	}
	ct := c.GetHeader("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return apiError(CodeUnsupportedType,
			"send the batch as the body with its Content-Type (text/csv, application/json, application/x-ndjson, the XLSX type) or as multipart/form-data; got "+quote(ct))
	}
	a, err := s.auditor(c, f, format)
	if err != nil {
		return err
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
			err = a.ReadInput(part, name, part.Header.Get("Content-Type"), input, encoding)
			_ = part.Close()
			if err != nil {
				err = fmt.Errorf("%s: %w", name, err)
				break
			}
		}
		if err == nil && files == 0 {
			a.Finish()
			return apiError(CodeInvalidRequest, "the multipart upload holds no file")
		}
	} else {
		if !batchMediaType(mt) && input == "" {
			a.Finish()
			return apiError(CodeUnsupportedType, "the body must be CSV, XLSX, JSON or NDJSON (or multipart/form-data); got "+quote(ct))
		}
		err = a.ReadInput(body, "", mt, input, encoding)
	}
	return s.auditReport(c, f, a, format, err)
}

// auditor starts the audit of a request, its rows logged as checks.
func (s *Server) auditor(c *gin.Context, f *rules.Form, format string) (*audit.Auditor, error) {
	logRow := s.checkLogger(c)
	a, err := audit.New(f, audit.Options{
		Per: c.Query("per"), KeepCells: format == audit.OutXLSX,
		OnCheck: func(sub *checker.Submission, d [32]byte, res *checker.Result) { logRow(f, sub, d, res) },
	})
	if err != nil {
		return nil, &Error{Code: CodeInvalidRequest, Message: "per: " + err.Error(), Err: err}
	}
	return a, nil
}

// auditReport finishes the audit and answers with its report, or with the
// error that ended its reading (after counting the findings).
func (s *Server) auditReport(c *gin.Context, f *rules.Form, a *audit.Auditor, format string, err error) error {
	rep := a.Finish()
	s.metrics.observeFindings(f.ID, rep.Findings)
	if err != nil {
		var tooLarge *http.MaxBytesError
		var e *Error
		if errors.As(err, &tooLarge) || errors.Is(err, audit.ErrFormat) || errors.As(err, &e) {
			return err // errorFor: too_large, invalid_batch, or the error as decided
		}
		return &Error{Code: CodeInvalidRequest, Message: "reading the body: " + err.Error(), Err: err}
	}
	var out bytes.Buffer
	if err := rep.Write(&out, format); err != nil {
		return fmt.Errorf("writing the report: %w", err) // internal
	}
	if format != audit.OutJSON {
		c.Header("Content-Disposition", `attachment; filename="audit-`+f.ID+`.`+format+`"`)
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, audit.ContentType(format), out.Bytes())
	return nil
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

func multipartReader(r io.Reader, boundary string) *multipart.Reader {
	return multipart.NewReader(r, boundary)
}
