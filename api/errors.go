package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/checker"
	"github.com/gin-gonic/gin"
)

// Error codes: machine-readable, stable. The table codes below gives each
// its status; docs/api.md lists the same (TestDocsListEveryErrorCode).
const (
	CodeMalformedJSON          = "malformed_json"
	CodeInvalidRequest         = "invalid_request"
	CodeMissingForm            = "missing_form"
	CodeInvalidBatch           = "invalid_batch" // a batch that cannot be read: not its format, no unit or period column, an unknown encoding
	CodeUnauthorized           = "unauthorized"  // no token, or one that is not known
	CodeForbidden              = "forbidden"     // a known token whose role may not do this
	CodeUnknownForm            = "unknown_form"
	CodeNotFound               = "not_found"
	CodeMethodNotAllowed       = "method_not_allowed"
	CodeTooLarge               = "too_large"
	CodeTooManyItems           = "too_many_items"
	CodeUnsupportedType        = "unsupported_media_type"
	CodeReloadFailed           = "reload_failed"
	CodeRateLimited            = "rate_limited"
	CodeInternal               = "internal"
	CodeNoRuleset              = "no_ruleset"
	CodeDecisionLogUnavailable = "decision_log_unavailable"
	// The system of record (submissions.go, store.go).
	CodeInvalidPeriod     = "invalid_period"
	CodeSubmissionBlocked = "submission_blocked"
	CodeUnknownSubmission = "unknown_submission"
	CodeStoreUnavailable  = "store_unavailable"
)

// codes is the one table of error codes and their HTTP status.
var codes = map[string]int{
	CodeMalformedJSON:          http.StatusBadRequest,
	CodeInvalidRequest:         http.StatusBadRequest,
	CodeMissingForm:            http.StatusBadRequest,
	CodeInvalidBatch:           http.StatusBadRequest,
	CodeUnauthorized:           http.StatusUnauthorized,
	CodeForbidden:              http.StatusForbidden,
	CodeUnknownForm:            http.StatusNotFound,
	CodeNotFound:               http.StatusNotFound,
	CodeMethodNotAllowed:       http.StatusMethodNotAllowed,
	CodeTooLarge:               http.StatusRequestEntityTooLarge,
	CodeTooManyItems:           http.StatusRequestEntityTooLarge,
	CodeUnsupportedType:        http.StatusUnsupportedMediaType,
	CodeReloadFailed:           http.StatusUnprocessableEntity,
	CodeRateLimited:            http.StatusTooManyRequests,
	CodeInternal:               http.StatusInternalServerError,
	CodeNoRuleset:              http.StatusServiceUnavailable,
	CodeDecisionLogUnavailable: http.StatusServiceUnavailable,
	CodeInvalidPeriod:          http.StatusBadRequest,
	CodeSubmissionBlocked:      http.StatusUnprocessableEntity,
	CodeUnknownSubmission:      http.StatusNotFound,
	CodeStoreUnavailable:       http.StatusServiceUnavailable,
}

// Error is an API error: the code (whose status the table codes gives), a
// message for people and optional details. Handlers return it, or any
// error that wraps one of the sentinels errorFor knows.
type Error struct {
	Code    string
	Message string
	Details []any
	Err     error // the cause, if any; not shown to the client
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status of the error's code.
func (e *Error) Status() int {
	if s, ok := codes[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// apiError makes an Error.
func apiError(code, msg string, details ...any) *Error {
	return &Error{Code: code, Message: msg, Details: details}
}

// apiErrorf makes an Error with a formatted message.
func apiErrorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorBody is the one shape every error response has.
type ErrorBody struct {
	Error ErrorInfo `json:"error"`
}

// ErrorInfo describes one error.
type ErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details,omitempty"`
}

// errorFor maps any error to the API error answered for it: an *Error as
// it is, the sentinels of the libraries to their code (by errors.Is and
// errors.As, never by text), anything else to internal.
func errorFor(err error) *Error {
	var e *Error
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &tooLarge):
		return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("the body is larger than the limit of %d bytes", tooLarge.Limit), Err: err}
	case errors.Is(err, checker.ErrMissingForm):
		return &Error{Code: CodeMissingForm, Message: err.Error(), Err: err}
	case errors.Is(err, audit.ErrFormat): // before ErrBadJSON: a JSON batch that cannot be read wraps both
		return &Error{Code: CodeInvalidBatch, Message: err.Error(), Err: err}
	case errors.Is(err, checker.ErrBadJSON):
		return &Error{Code: CodeMalformedJSON, Message: err.Error(), Err: err}
	case errors.Is(err, checker.ErrTextAndFigures):
		return &Error{Code: CodeInvalidRequest, Message: err.Error(), Err: err}
	}
	return &Error{Code: CodeInternal, Message: "internal error; the request id identifies it in the server log", Err: err}
}

// info is the error as the client sees it.
func (e *Error) info() ErrorInfo {
	return ErrorInfo{Code: e.Code, Message: e.Message, Details: e.Details}
}

// writeError answers err and stops the handler chain: every error
// response is written here.
func writeError(c *gin.Context, err error) {
	e := errorFor(err)
	c.Set(errorCodeKey, e.Code) // counted by observeHTTP
	if e.Code == CodeInternal && e.Err != nil {
		_ = c.Error(e.Err) // for the request log
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(e.Status(), ErrorBody{e.info()})
}

// errorCodeKey holds, in the gin context, the code of the error answered.
const errorCodeKey = "figcheck.error_code"

// handle adapts a handler that returns an error to gin.
func handle(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			writeError(c, err)
		}
	}
}

// fail answers an error made in place, for a handler that does not return
// its errors. The status is the code's in the table; status is used only
// for a code the table does not have yet (TestErrorCodesInOneTable fails
// on such a code).
func fail(c *gin.Context, status int, code, msg string, details ...any) {
	if _, ok := codes[code]; !ok {
		c.Set(errorCodeKey, code)
		c.Header("Cache-Control", "no-store")
		c.AbortWithStatusJSON(status, ErrorBody{ErrorInfo{Code: code, Message: msg, Details: details}})
		return
	}
	writeError(c, apiError(code, msg, details...))
}

func notFound(c *gin.Context) {
	writeError(c, apiError(CodeNotFound, "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path))
}

func methodNotAllowed(c *gin.Context) {
	writeError(c, apiError(CodeMethodNotAllowed, "method "+c.Request.Method+" is not allowed on "+c.Request.URL.Path))
}

func recovered(c *gin.Context, _ any) {
	writeError(c, apiError(CodeInternal, "internal error; the request id identifies it in the server log"))
}
