package extract_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/internal/docxtest"
)

var docxLimits = extract.DocxLimits{XML: 1 << 20, Text: 1 << 20}

// TestReadDocx: a report's paragraphs and its table both give figures.
func TestReadDocx(t *testing.T) {
	body := docxtest.Para("一、安全稳定") +
		docxtest.Para("开展校园安全专项检查", "15次，检查学校64所。") +
		docxtest.Table([]string{"项目", "数量", "单位"}, []string{"应急演练", "142", "次"}, []string{"高考考点", "2个"}) +
		docxtest.Para("新开工幼儿园7所，其中已竣工4所。")
	b := docxtest.Docx(body)
	text, err := extract.ReadDocx(bytes.NewReader(b), int64(len(b)), docxLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := "一、安全稳定\n开展校园安全专项检查15次，检查学校64所。\n项目\t数量\t单位\n应急演练\t142\t次\n高考考点\t2个\n新开工幼儿园7所，其中已竣工4所。\n"
	if text != want {
		t.Fatalf("text %q\nwant %q", text, want)
	}
	res := extract.Extract(shippedForm(t), text)
	for id, v := range map[string]float64{"safety_inspections": 15, "schools_inspected": 64, "drills": 142, "gaokao_sites": 2, "kindergartens_started": 7, "kindergartens_completed": 4} {
		if got, ok := res.Figures[id]; !ok || got.Value != v {
			t.Errorf("%s = %+v (found %v), want %v", id, got, ok, v)
		}
	}
	// A unit in a cell of its own: the figure is the number, not the tab.
	if got := res.Figures["drills"]; got.Raw != "142" || got.Length != 3 {
		t.Errorf("drills raw %q length %d, want 142 and 3", got.Raw, got.Length)
	}
}

// TestReadDocxBad: what is no document, or too large, gets its error.
func TestReadDocxBad(t *testing.T) {
	var bomb bytes.Buffer
	{
		zw := zip.NewWriter(&bomb)
		w, _ := zw.Create("word/document.xml")
		w.Write([]byte(`<w:document ` + docxtest.NS + `><w:body>`))
		w.Write(bytes.Repeat([]byte(" "), 4<<20)) // 4 MiB that packs to a few KiB
		w.Write([]byte(`</w:body></w:document>`))
		zw.Close()
	}
	// A header that says the body is small while it unpacks large.
	var liar bytes.Buffer
	{
		data := append([]byte(`<w:document `+docxtest.NS+`><w:body>`), bytes.Repeat([]byte(" "), 4<<20)...)
		var packed bytes.Buffer
		fw, _ := flate.NewWriter(&packed, flate.BestCompression)
		fw.Write(data)
		fw.Close()
		zw := zip.NewWriter(&liar)
		w, _ := zw.CreateRaw(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate,
			CRC32: crc32.ChecksumIEEE(data), CompressedSize64: uint64(packed.Len()), UncompressedSize64: 100})
		w.Write(packed.Bytes())
		zw.Close()
	}
	var noBody bytes.Buffer
	{
		zw := zip.NewWriter(&noBody)
		w, _ := zw.Create("word/other.xml")
		w.Write([]byte("<x/>"))
		zw.Close()
	}
	long := docxtest.Docx(docxtest.Para(strings.Repeat("字", 1000)))
	tests := []struct {
		name string
		data []byte
		lim  extract.DocxLimits
		want error
	}{
		{"plain text", []byte("开工建设幼儿园5所"), docxLimits, extract.ErrNotDocx},
		{"empty", nil, docxLimits, extract.ErrNotDocx},
		{"zip without document", noBody.Bytes(), docxLimits, extract.ErrNotDocx},
		{"not a Word body", notWord(t), docxLimits, extract.ErrNotDocx},
		{"bad XML", docxtest.Docx("<w:p><w:t>1</w:p>"), docxLimits, extract.ErrNotDocx},
		{"zip bomb", bomb.Bytes(), docxLimits, extract.ErrDocxTooLarge},
		// archive/zip stops reading at the size the header gives.
		{"lying header", liar.Bytes(), docxLimits, extract.ErrNotDocx},
		{"text past the limit", long, extract.DocxLimits{XML: 1 << 20, Text: 1000}, extract.ErrDocxTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := extract.ReadDocx(bytes.NewReader(tt.data), int64(len(tt.data)), tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzReadDocx(f *testing.F) {
	f.Add(docxtest.Docx(docxtest.Para("开展集中学习16次") + docxtest.Table([]string{"金牌", "3枚"})))
	f.Add(docxtest.Docx(""))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		text, err := extract.ReadDocx(bytes.NewReader(b), int64(len(b)), extract.DocxLimits{XML: 1 << 16, Text: 1 << 12})
		if err != nil {
			if !errors.Is(err, extract.ErrNotDocx) && !errors.Is(err, extract.ErrDocxTooLarge) {
				t.Fatalf("error %v is neither sentinel", err)
			}
			return
		}
		if len(text) > 1<<12+1 {
			t.Fatalf("text of %d bytes past the limit", len(text))
		}
	})
}

// notWord is a zip whose word/document.xml is some other XML.
func notWord(t testing.TB) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("word/document.xml")
	w.Write([]byte("<html><p>开工建设幼儿园5所</p></html>"))
	zw.Close()
	return b.Bytes()
}
