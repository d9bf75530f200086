package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Error codes: machine-readable, stable, documented in docs/api.md.
const (
	CodeMalformedJSON    = "malformed_json"
	CodeInvalidRequest   = "invalid_request"
	CodeMissingForm      = "missing_form"
	CodeUnknownForm      = "unknown_form"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeTooLarge         = "too_large"
	CodeTooManyItems     = "too_many_items"
	CodeUnsupportedType  = "unsupported_media_type"
	CodeNoRuleset        = "no_ruleset"
	CodeReloadFailed     = "reload_failed"
	CodeInternal         = "internal"
	// The system of record (submissions.go, store.go).
	CodeInvalidPeriod     = "invalid_period"
	CodeSubmissionBlocked = "submission_blocked"
	CodeUnknownSubmission = "unknown_submission"
	CodeStoreUnavailable  = "store_unavailable"
)

// errorCodeKey holds, in the gin context, the code of the error answered.
const errorCodeKey = "figcheck.error_code"

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

// fail writes the error response and stops the handler chain. It is the
// only place an error response is produced.
func fail(c *gin.Context, status int, code, msg string, details ...any) {
	c.Set(errorCodeKey, code) // counted by observeHTTP
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, ErrorBody{ErrorInfo{Code: code, Message: msg, Details: details}})
}

func notFound(c *gin.Context) {
	fail(c, http.StatusNotFound, CodeNotFound, "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path)
}

func methodNotAllowed(c *gin.Context) {
	fail(c, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+c.Request.Method+" is not allowed on "+c.Request.URL.Path)
}

func recovered(c *gin.Context, err any) {
	fail(c, http.StatusInternalServerError, CodeInternal, "internal error; the request id identifies it in the server log")
}
