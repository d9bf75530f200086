// Package docxtest writes small Word (.docx) documents for tests: the
// parts a report's text lives in, packed with archive/zip.
package docxtest

import (
	"archive/zip"
	"bytes"
	"html"
	"strings"
)

// NS declares the WordprocessingML namespace as the w prefix.
const NS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`

// Para is one paragraph made of runs (each run's text is escaped).
func Para(runs ...string) string {
	var b strings.Builder
	b.WriteString(`<w:p><w:pPr><w:jc w:val="both"/></w:pPr>`)
	for _, r := range runs {
		b.WriteString(`<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">` + html.EscapeString(r) + `</w:t></w:r>`)
	}
	return b.String() + "</w:p>"
}

// Table is a table; each cell holds one paragraph.
func Table(rows ...[]string) string {
	var b strings.Builder
	b.WriteString("<w:tbl><w:tblPr/>")
	for _, row := range rows {
		b.WriteString("<w:tr>")
		for _, cell := range row {
			b.WriteString("<w:tc><w:tcPr/>" + Para(cell) + "</w:tc>")
		}
		b.WriteString("</w:tr>")
	}
	return b.String() + "</w:tbl>"
}

// Docx packs body, the children of w:body, as a .docx.
func Docx(body string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, data string }{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ` + NS + `><w:body>` + body + `</w:body></w:document>`},
	} {
		w, _ := zw.Create(f.name) // writing to memory does not fail
		_, _ = w.Write([]byte(f.data))
	}
	_ = zw.Close()
	return buf.Bytes()
}
