package api

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
)

const requestIDHeader = "X-Request-ID"

// requestID takes a sane X-Request-ID from the client or makes one, and
// returns it on the response.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !validRequestID(id) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDHeader, id)
	c.Header(requestIDHeader, id)
	c.Next()
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// observeHTTP records metrics and writes one log line per request. The
// route label is the route template, never the raw path.
func (s *Server) observeHTTP(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	s.metrics.httpRequests.WithLabelValues(route, c.Request.Method, statusLabel(status)).Inc()
	s.metrics.httpDuration.WithLabelValues(route).Observe(elapsed.Seconds())
	if code := c.GetString(errorCodeKey); code != "" && status < 500 {
		s.metrics.invalidRequest.WithLabelValues(code).Inc()
	}
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("request_id", c.GetString(requestIDHeader)),
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.Int("bytes", c.Writer.Size()),
	}
	if status >= 500 {
		level = slog.LevelError
		if err := c.Errors.Last(); err != nil {
			attrs = append(attrs, slog.String("err", err.Error())) // the cause writeError kept from the client
		}
	}
	s.log.LogAttrs(c, level, "request", attrs...)
}
