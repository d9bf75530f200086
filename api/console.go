package api

import (
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/figcheck/figcheck/web"
	"github.com/gin-gonic/gin"
)

// consoleCSP allows the console nothing from other origins: it must work
// on an intranet, and an injected reference to an outside script or font
// would be blocked rather than loaded.
const consoleCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// consolePage serves one page of the console (GET / and GET /audit).
func consolePage(name string) gin.HandlerFunc {
	return func(c *gin.Context) {
		serveConsoleFile(c, name)
	}
}

// consoleAsset serves the console's styles and scripts (GET /ui/*filepath).
func consoleAsset(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("filepath")), "/")
	serveConsoleFile(c, name)
}

func serveConsoleFile(c *gin.Context, name string) {
	b, err := fs.ReadFile(web.Static, name)
	if err != nil || name == "" || name == "." {
		writeError(c, apiError(CodeNotFound, "no such file: "+quote(c.Request.URL.Path)))
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	c.Data(http.StatusOK, ct, b)
}
