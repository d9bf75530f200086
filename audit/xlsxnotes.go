package audit

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// The comments of 原始数据 are written here rather than by excelize: its
// AddComment walks every shape already on the sheet (and the rows above
// the cell) on each call, so that 500 rows with violations took 53 s and
// 2,000 did not finish. excelize is given one comment, so that it creates
// the parts, the relationships, the content types and the sheet's
// legacyDrawing element; when it writes the two parts, notesZip writes
// every comment in their place, in one pass.
const (
	notesPart  = "xl/comments1.xml"
	shapesPart = "xl/drawings/vmlDrawing1.vml"
	noteAuthor = "figcheck"
)

// notesZip is the workbook's zip writer, writing the comment parts itself.
type notesZip struct {
	*zip.Writer
	x *xlsxWriter
}

// Create opens a part; for the comment parts it writes them and gives
// excelize a writer that discards its own version.
func (z *notesZip) Create(name string) (io.Writer, error) {
	w, err := z.Writer.Create(name)
	if err != nil || len(z.x.notes) == 0 {
		return w, err
	}
	switch name {
	case notesPart:
		return io.Discard, writeNotes(w, z.x.notes)
	case shapesPart:
		return io.Discard, writeShapes(w, z.x.notes, z.x.sheetID(SheetRaw))
	}
	return w, nil
}

// sheetID is the sheetId of a sheet, the block of its VML shape ids.
func (x *xlsxWriter) sheetID(name string) int {
	for id, n := range x.f.GetSheetMap() {
		if n == name {
			return id
		}
	}
	return 1
}

func xmlText(w *bufio.Writer, s string) {
	_ = xml.EscapeText(w, []byte(s))
}

// writeNotes writes the comments part.
func writeNotes(out io.Writer, notes []note) error {
	w := bufio.NewWriterSize(out, 64<<10)
	w.WriteString(xml.Header)
	w.WriteString(`<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>` + noteAuthor + `</author></authors><commentList>`)
	for _, n := range notes {
		w.WriteString(`<comment ref="`)
		w.WriteString(cellRef(n.col, n.row))
		w.WriteString(`" authorId="0"><text><r><rPr><sz val="9"/></rPr><t xml:space="preserve">`)
		xmlText(w, n.text)
		w.WriteString(`</t></r></text></comment>`)
	}
	w.WriteString(`</commentList></comments>`)
	return w.Flush()
}

// writeShapes writes the VML part: one hidden note box per comment. Shape
// ids are numbered from 1024 × sheet id; the id map lists every block of
// 1024 they use.
func writeShapes(out io.Writer, notes []note, sheet int) error {
	w := bufio.NewWriterSize(out, 64<<10)
	blocks := make([]string, 0, len(notes)/1024+1)
	for b := 0; b <= len(notes)/1024; b++ {
		blocks = append(blocks, strconv.Itoa(sheet+b))
	}
	w.WriteString(`<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">`)
	w.WriteString(`<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="` + strings.Join(blocks, ",") + `"/></o:shapelayout>`)
	w.WriteString(`<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>`)
	for i, n := range notes {
		c, r := n.col-1, n.row-1 // 0-based in VML
		w.WriteString(`<v:shape id="_x0000_s`)
		w.WriteString(strconv.Itoa(sheet*1024 + 1 + i))
		w.WriteString(`" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:144pt;height:60pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">`)
		w.WriteString(`<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>`)
		w.WriteString(`<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>`)
		w.WriteString(strconv.Itoa(c+1) + ", 15, " + strconv.Itoa(max(r-1, 0)) + ", 10, " + strconv.Itoa(c+3) + ", 15, " + strconv.Itoa(r+3) + ", 4")
		w.WriteString(`</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>`)
		w.WriteString(strconv.Itoa(r))
		w.WriteString(`</x:Row><x:Column>`)
		w.WriteString(strconv.Itoa(c))
		w.WriteString(`</x:Column></x:ClientData></v:shape>`)
	}
	w.WriteString(`</xml>`)
	return w.Flush()
}

// cellRef is the A1 name of a 1-based cell.
func cellRef(col, row int) string {
	name := colName(col - 1)
	return name + strconv.Itoa(row)
}
