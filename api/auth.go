package api

import (
	"github.com/figcheck/figcheck/auth"
	"github.com/gin-gonic/gin"
)

// routeLevels is what each route requires, by "METHOD /route/template".
// A route that is not listed requires admin: add new routes here.
var routeLevels = map[string]auth.Level{
	"GET /healthz":   auth.Public,
	"GET /readyz":    auth.Public,
	"GET /metrics":   auth.Public,
	"POST /-/reload": auth.Admin,
	// The console's pages and assets are static files without data, and a
	// browser cannot send a bearer token when it loads a page; the API
	// calls they make are checked like any other.
	"GET /":                             auth.Public,
	"GET /audit":                        auth.Public,
	"GET /ui/*filepath":                 auth.Public,
	"POST /v1/check":                    auth.Unit,
	"POST /v1/check/batch":              auth.Unit,
	"POST /v1/extract":                  auth.Unit,
	"GET /v1/forms":                     auth.Unit,
	"GET /v1/forms/:form":               auth.Unit,
	"GET /v1/forms/:form/template.xlsx": auth.Unit,
	"GET /v1/forms/:form/rules":         auth.Unit,
	"POST /v1/receipts/verify":          auth.Unit,
	"POST /v1/receipts/qr":              auth.Unit,
	"GET /v1/decisions":                 auth.Unit, // a unit sees its own unit only
	"GET /v1/decisions/flagged":         auth.Auditor,
	"POST /v1/audit":                    auth.Auditor,
	"POST /v1/submissions":              auth.Unit, // its own unit, as for checks
	"GET /v1/submissions":               auth.Unit, // a unit sees its own unit only
	"GET /v1/submissions/:id":           auth.Unit,
}

// routeLevel is what a request's route requires. A path that matches no
// route needs only a known token, so that it gets its 404 or 405.
func routeLevel(c *gin.Context) auth.Level {
	route := c.FullPath()
	if route == "" {
		return auth.Unit
	}
	if l, ok := routeLevels[c.Request.Method+" "+route]; ok {
		return l
	}
	return auth.Admin
}

const principalKey = "figcheck.principal"

// authorize runs before every handler: it finds the request's token,
// rate-limits it and checks its role against routeLevels. The token is
// never logged.
func (s *Server) authorize(c *gin.Context) {
	if s.trail.tokens == nil {
		c.Set(principalKey, auth.Anonymous)
		return
	}
	level := routeLevel(c)
	if level == auth.Public {
		return
	}
	token, ok := auth.BearerToken(c.GetHeader("Authorization"))
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="figcheck"`)
		writeError(c, apiError(CodeUnauthorized, "this endpoint needs a bearer token: Authorization: Bearer <token>"))
		return
	}
	p, ok := s.trail.tokens.Lookup(token)
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="figcheck", error="invalid_token"`)
		writeError(c, apiError(CodeUnauthorized, "the bearer token is not known"))
		return
	}
	if !s.trail.limiter.Allow(p.Name) {
		c.Header("Retry-After", "1")
		writeError(c, apiError(CodeRateLimited, "too many requests for this token; retry later"))
		return
	}
	if !p.Role.Allows(level) {
		writeError(c, apiError(CodeForbidden, "the role "+p.Role.String()+" may not use "+c.Request.Method+" "+c.FullPath()))
		return
	}
	c.Set(principalKey, p)
}

// principal is who made the request; on a public route, with tokens
// configured, it is no one (a role that may do nothing).
func principal(c *gin.Context) auth.Principal {
	if v, ok := c.Get(principalKey); ok {
		if p, ok := v.(auth.Principal); ok {
			return p
		}
	}
	return auth.Principal{}
}

// mayCheckUnit is the forbidden error when the caller may not act for
// unit, else nil.
func mayCheckUnit(c *gin.Context, unit string) error {
	p := principal(c)
	if p.Role.MayAct(unit) {
		return nil
	}
	return apiError(CodeForbidden, "the role "+p.Role.String()+" may act only for its own unit, not "+quote(unit))
}

// callerOf is who made the request and through which endpoint, for the
// decision log. It reads c once; the value is safe to use from other
// goroutines (audit workers).
func (s *Server) callerOf(c *gin.Context) caller {
	p := principal(c)
	return caller{actor: p.Name, role: p.Role.String(), source: source(c)}
}
