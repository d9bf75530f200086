package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestPagesLoadOnlyEmbeddedFiles: every file a page refers to is embedded,
// nothing comes from another host, and nothing is inline (the service's
// Content-Security-Policy allows only files from itself).
func TestPagesLoadOnlyEmbeddedFiles(t *testing.T) {
	ref := regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	for _, page := range []string{"unit.html", "audit.html"} {
		b, err := fs.ReadFile(Static, page)
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		for _, m := range ref.FindAllStringSubmatch(html, -1) {
			u := m[1]
			switch {
			case u == "/" || u == "/audit" || strings.HasPrefix(u, "#") || u == "data:,":
			case strings.HasPrefix(u, "/ui/"):
				if _, err := fs.Stat(Static, strings.TrimPrefix(u, "/ui/")); err != nil {
					t.Errorf("%s refers to %s, which is not embedded", page, u)
				}
			default:
				t.Errorf("%s refers to %q: only embedded files may be loaded", page, u)
			}
		}
		for _, bad := range []string{" style=", "<style", "<script>", " onclick=", " onload="} {
			if strings.Contains(html, bad) {
				t.Errorf("%s has inline %q, which the CSP blocks", page, bad)
			}
		}
		if !strings.Contains(html, `lang="zh-CN"`) || !strings.Contains(html, `name="viewport"`) {
			t.Errorf("%s: want lang zh-CN and a viewport for phones", page)
		}
	}
	for _, js := range []string{"common.js", "unit.js", "audit.js"} {
		b, err := fs.ReadFile(Static, js)
		if err != nil {
			t.Fatal(err)
		}
		// Text from the service or the user goes in as text, never as HTML.
		if strings.Contains(string(b), "innerHTML") || strings.Contains(string(b), "style:") {
			t.Errorf("%s sets innerHTML or an inline style", js)
		}
	}
}
