package extract

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DocxContentType is the media type of a Word (.docx) document; WPS saves
// the same format.
const DocxContentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// Errors of ReadDocx; callers answer ErrDocxTooLarge with 413 and
// ErrNotDocx with 400.
var (
	ErrNotDocx      = errors.New("not a .docx document")
	ErrDocxTooLarge = errors.New(".docx document too large")
)

// DocxLimits bound what reading one document may cost. The document body
// is streamed, never held whole: XML bounds the bytes it may unpack to
// (a zip bomb stops there), Text the text kept.
type DocxLimits struct {
	XML  int64
	Text int
}

// docxBody is the part of a .docx that holds the document's text.
const docxBody = "word/document.xml"

// ReadDocx returns the text of a .docx document: each paragraph on a line,
// each table row on a line with its cells separated by tabs (several
// paragraphs in one cell joined by "；"), so that a figure in a table
// stands next to its row's name as it does in a sentence. Headers,
// footers, notes and comments are not read.
func ReadDocx(r io.ReaderAt, size int64, lim DocxLimits) (string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotDocx, err)
	}
	var body *zip.File
	for _, f := range zr.File {
		if f.Name == docxBody {
			body = f
			break
		}
	}
	if body == nil {
		return "", fmt.Errorf("%w: the archive has no %s", ErrNotDocx, docxBody)
	}
	if body.UncompressedSize64 > uint64(lim.XML) {
		return "", fmt.Errorf("%w: %s unpacks to %d bytes, more than the limit of %d", ErrDocxTooLarge, docxBody, body.UncompressedSize64, lim.XML)
	}
	rc, err := body.Open()
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrNotDocx, docxBody, err)
	}
	defer rc.Close()
	// The size in the header may lie: the reader stops at the limit too.
	lr := &io.LimitedReader{R: rc, N: lim.XML + 1}
	text, err := docxText(lr, lim.Text)
	if lr.N <= 0 {
		return "", fmt.Errorf("%w: %s unpacks to more than the limit of %d bytes", ErrDocxTooLarge, docxBody, lim.XML)
	}
	return text, err
}

// docxText reads WordprocessingML and keeps at most maxText bytes of text.
func docxText(r io.Reader, maxText int) (string, error) {
	const wml = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	dec := xml.NewDecoder(r)
	var (
		out       strings.Builder
		para      strings.Builder // the paragraph being read
		cells     []int           // paragraphs so far in each open table cell
		rows      []int           // cells so far in each open table row
		inText    bool
		tooLarge  bool
		seenStart bool
	)
	write := func(s string) {
		if out.Len()+len(s) > maxText {
			tooLarge = true
			return
		}
		out.WriteString(s)
	}
	for !tooLarge {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrNotDocx, docxBody, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !seenStart {
				seenStart = true
				if t.Name.Space != wml || t.Name.Local != "document" {
					return "", fmt.Errorf("%w: %s is not a Word document body", ErrNotDocx, docxBody)
				}
			}
			if t.Name.Space != wml {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				para.WriteByte(' ')
			case "br", "cr":
				para.WriteByte('\n')
			case "tr":
				rows = append(rows, 0)
			case "tc":
				if len(rows) > 0 {
					if rows[len(rows)-1] > 0 {
						write("\t")
					}
					rows[len(rows)-1]++
				}
				cells = append(cells, 0)
			}
		case xml.EndElement:
			if t.Name.Space != wml {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				s := strings.TrimSpace(para.String())
				para.Reset()
				if len(cells) == 0 {
					write(s + "\n")
					continue
				}
				if s == "" {
					continue
				}
				if cells[len(cells)-1] > 0 {
					write("；")
				}
				cells[len(cells)-1]++
				write(s)
			case "tc":
				if len(cells) > 0 {
					cells = cells[:len(cells)-1]
				}
			case "tr":
				if len(rows) > 0 {
					rows = rows[:len(rows)-1]
				}
				write("\n")
			}
		case xml.CharData:
			if inText {
				if para.Len()+len(t) > maxText {
					tooLarge = true
					break
				}
				para.Write(t)
			}
		}
	}
	if tooLarge {
		return "", fmt.Errorf("%w: its text is longer than the limit of %d bytes", ErrDocxTooLarge, maxText)
	}
	if !seenStart {
		return "", fmt.Errorf("%w: %s is empty", ErrNotDocx, docxBody)
	}
	return strings.TrimRight(out.String(), "\n") + "\n", nil
}
