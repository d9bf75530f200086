package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/web"
)

// TestEveryCodeHasChineseText: the console shows every error code of the
// service in Chinese (codeText in common.js), so a new Code constant
// needs its text there.
func TestEveryCodeHasChineseText(t *testing.T) {
	js, err := fs.ReadFile(web.Static, "common.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)const codeText = \{(.*?)\n  \};`).FindSubmatch(js)
	if m == nil {
		t.Fatal("common.js has no codeText table")
	}
	known := map[string]bool{}
	for _, k := range regexp.MustCompile(`(?m)^\s*([a-z_]+):`).FindAllSubmatch(m[1], -1) {
		known[string(k[1])] = true
	}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			vs, ok := node.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, id := range vs.Names {
				if !strings.HasPrefix(id.Name, "Code") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				code, _ := strconv.Unquote(lit.Value)
				n++
				if !known[code] {
					t.Errorf("%s: error code %q has no Chinese text in web/static/common.js codeText", fset.Position(id.Pos()), code)
				}
			}
			return true
		})
	}
	if n < 10 {
		t.Fatalf("found only %d error codes", n)
	}
}
