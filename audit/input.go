package audit

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Input formats.
const (
	FormatCSV    = "csv"
	FormatXLSX   = "xlsx"
	FormatJSON   = "json"
	FormatNDJSON = "ndjson"
)

// Encodings of CSV input.
const (
	EncodingAuto    = ""
	EncodingUTF8    = "utf-8"
	EncodingGB18030 = "gb18030"
)

// ErrFormat marks input that cannot be read at all: an unknown format or
// encoding, a file with no header, a body that is not a JSON array.
var ErrFormat = errors.New("unreadable batch")

// Row is one unit's figures for one period, as read.
type Row struct {
	// Line is the row's position in its file: the spreadsheet row number
	// (the header is row 1), the line of an NDJSON file, or the 1-based
	// index of an element of a JSON array.
	Line   int
	Unit   string
	Period string
	// Cells holds a spreadsheet row's text by indicator index, "" for an
	// empty cell. It is only valid until the next call to Next.
	Cells []string
	// Values holds a JSON row's values by indicator index, nil where
	// absent.
	Values []any
	// Explanations maps warning rule ids to the unit's explanation (the
	// 说明:<rule id> columns), nil when there is none.
	Explanations map[string]string
}

// Problem is something wrong with the input: a row or cell that cannot be
// used. The batch goes on.
type Problem struct {
	File    string `json:"file,omitempty"`
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Unit    string `json:"unit,omitempty"`
	Period  string `json:"period,omitempty"`
	Message string `json:"message"`
	// kind groups problems for Limits.Problems; "" means the message.
	kind string
}

// Problem kinds whose messages differ from one occurrence to the next.
const (
	kindUnknownColumn = "unknown_column"
	kindSameColumn    = "same_column"
	kindOutside       = "outside_header"
	kindCSV           = "csv"
	kindRowUnreadable = "row_unreadable"
	kindUnknownKey    = "unknown_key"
	kindTwice         = "twice"
	kindNotObject     = "not_object"
	kindNotText       = "not_text"
)

// RowReader yields the rows of one file. Next returns io.EOF at the end;
// any other error ends the file. Problems are per row and do not.
type RowReader interface {
	Next() (Row, []Problem, error)
}

// DetectFormat guesses the format from a file name or content type, then
// from the first bytes.
func DetectFormat(name, contentType string, head []byte) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return FormatCSV
	case ".xlsx", ".xlsm":
		return FormatXLSX
	case ".json":
		return FormatJSON
	case ".ndjson", ".jsonl":
		return FormatNDJSON
	}
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "spreadsheetml"), strings.Contains(ct, "ms-excel"):
		return FormatXLSX
	case strings.Contains(ct, "ndjson"), strings.Contains(ct, "jsonl"), strings.Contains(ct, "json-seq"):
		return FormatNDJSON
	case strings.Contains(ct, "json"):
		return FormatJSON
	case strings.Contains(ct, "csv"):
		return FormatCSV
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return FormatXLSX
	case bytes.HasPrefix(t, []byte("[")):
		return FormatJSON
	case bytes.HasPrefix(t, []byte("{")):
		return FormatNDJSON
	}
	return FormatCSV
}

// NewReader returns the row reader of a format with the default Limits.
// encoding applies to CSV.
func NewReader(f *rules.Form, r io.Reader, format, encoding string) (RowReader, error) {
	return newReader(f, r, format, encoding, DefaultLimits())
}

// NewReader returns the row reader of a format for this audit, bounded by
// its Limits. encoding applies to CSV.
func (a *Auditor) NewReader(r io.Reader, format, encoding string) (RowReader, error) {
	return newReader(a.form, r, format, encoding, a.opts.Limits)
}

func newReader(f *rules.Form, r io.Reader, format, encoding string, lim Limits) (RowReader, error) {
	switch format {
	case FormatCSV:
		return newCSVReader(f, r, encoding, lim)
	case FormatXLSX:
		return newXLSXReader(f, r, lim)
	case FormatJSON:
		return newJSONReader(f, r, lim)
	case FormatNDJSON:
		return &ndjsonReader{cols: newColumns(f, lim), sc: newScanner(r, lim.LineBytes), max: lim.LineBytes}, nil
	}
	return nil, fmt.Errorf("%w: unknown format %q (csv, xlsx, json or ndjson)", ErrFormat, format)
}

// decodeText turns CSV bytes into UTF-8: a BOM is dropped; without one,
// the first 64 KiB decide between UTF-8 and GB18030.
func decodeText(r io.Reader, encoding string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	switch strings.ToLower(encoding) {
	case EncodingAuto:
		if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) || validUTF8Prefix(head) {
			encoding = EncodingUTF8
		} else {
			encoding = EncodingGB18030
		}
	case EncodingUTF8, "utf8":
		encoding = EncodingUTF8
	case EncodingGB18030, "gbk", "gb2312":
		encoding = EncodingGB18030
	default:
		return nil, fmt.Errorf("%w: unknown encoding %q (utf-8 or gb18030)", ErrFormat, encoding)
	}
	if encoding == EncodingGB18030 {
		return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), nil
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	return br, nil
}

// validUTF8Prefix is utf8.Valid allowing a rune cut at the end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// columns maps header names to indicators and reports the unknown ones.
type columns struct {
	form       *rules.Form
	unit, per  int
	ind        []*rules.Indicator // by column; nil for unit, period and unknown
	explain    map[int]string     // column -> rule id of a 说明:<rule id> column
	labels     []string
	cells      []string        // Row.Cells, reused from row to row
	reported   map[string]bool // unknown JSON keys already reported (at most max)
	hasUnitCol bool
	max        int // Limits.Columns
}

func newColumns(f *rules.Form, lim Limits) *columns {
	return &columns{form: f, unit: -1, per: -1, reported: map[string]bool{}, max: lim.Columns}
}

func (c *columns) tooMany() error { return &LimitError{Limit: "columns", Max: int64(c.max)} }

func isUnitKey(k string) bool   { return k == "unit" || k == "单位" }
func isPeriodKey(k string) bool { return k == "period" || k == "期间" }

// header reads the header row; problems are reported at row 1.
func (c *columns) header(cells []string) ([]Problem, error) {
	if len(cells) > c.max {
		return nil, c.tooMany()
	}
	var probs []Problem
	seen := map[int]string{}
	twice := map[int]bool{}
	c.ind = make([]*rules.Indicator, len(cells))
	c.labels = make([]string, len(cells))
	for i, raw := range cells {
		name := strings.TrimSpace(raw)
		col := colName(i)
		c.labels[i] = col
		switch {
		case name == "":
			continue
		case isUnitKey(name):
			c.unit = i
		case isPeriodKey(name):
			c.per = i
		case explanationRule(name) != "":
			id := explanationRule(name)
			if _, ok := c.form.Rule(id); !ok {
				probs = append(probs, Problem{Row: 1, Column: col, Message: fmt.Sprintf("说明列 %q 对应的规则 %q 不存在,该列被忽略", name, id), kind: kindUnknownColumn})
				continue
			}
			if c.explain == nil {
				c.explain = map[int]string{}
			}
			c.explain[i] = id
		default:
			ind, msg := c.indicator(name)
			if ind == nil {
				probs = append(probs, Problem{Row: 1, Column: col, Message: msg, kind: kindUnknownColumn})
				continue
			}
			if first, dup := seen[ind.Index]; dup {
				// The policy of every intake for a figure given twice:
				// reported, neither used (rules.ResolveKeys).
				probs = append(probs, Problem{Row: 1, Column: col, Message: fmt.Sprintf("列 %q 与 %s 列是同一指标「%s」,两列都不采用", name, first, ind.Name), kind: kindSameColumn})
				twice[ind.Index] = true
				continue
			}
			seen[ind.Index] = col
			c.ind[i] = ind
		}
	}
	for i, ind := range c.ind {
		if ind != nil && twice[ind.Index] {
			c.ind[i] = nil
		}
	}
	if c.unit < 0 || c.per < 0 {
		return probs, fmt.Errorf("%w: the header row must have a unit (单位) and a period (期间) column", ErrFormat)
	}
	return probs, nil
}

// indicator resolves a header: an indicator's id or name, or its name
// followed by its unit in brackets, as a template heads its columns
// (集中学习次数（次）, 集中学习次数(次)). A header whose unit is not the
// indicator's is refused: its figures would be read in the wrong unit.
func (c *columns) indicator(name string) (*rules.Indicator, string) {
	if ind, prev, ok := c.form.Resolve(name); ok && !prev {
		return ind, ""
	}
	base, unit, ok := splitUnit(name)
	if ind, prev, found := c.form.Resolve(base); ok && found && !prev {
		if unit == ind.Unit {
			return ind, ""
		}
		return nil, fmt.Sprintf("列 %q 的单位「%s」与指标「%s」的单位「%s」不同,该列被忽略", name, unit, ind.Name, ind.Unit)
	}
	return nil, fmt.Sprintf("未知列 %q:表单中没有这个指标,该列被忽略", name)
}

// splitUnit splits "名称（单位）" or "名称(单位)" into name and unit.
func splitUnit(s string) (name, unit string, ok bool) {
	for _, br := range [][2]string{{"（", "）"}, {"(", ")"}} {
		if rest, found := strings.CutSuffix(s, br[1]); found {
			if i := strings.LastIndex(rest, br[0]); i > 0 {
				return strings.TrimSpace(rest[:i]), strings.TrimSpace(rest[i+len(br[0]):]), true
			}
		}
	}
	return s, "", false
}

// explanationRule is the rule id of a 说明:<rule id> header (either
// colon), or "".
func explanationRule(name string) string {
	for _, p := range []string{"说明:", "说明："} {
		if id, ok := strings.CutPrefix(name, p); ok {
			return strings.TrimSpace(id)
		}
	}
	return ""
}

// row turns cells into a Row.
func (c *columns) row(line int, cells []string) (Row, []Problem) {
	if c.cells == nil {
		c.cells = make([]string, len(c.form.Indicators))
	}
	clear(c.cells)
	r := Row{Line: line, Cells: c.cells}
	var probs []Problem
	for i, id := range c.explain {
		if i < len(cells) {
			if text := strings.TrimSpace(cells[i]); text != "" {
				if r.Explanations == nil {
					r.Explanations = map[string]string{}
				}
				r.Explanations[id] = text
			}
		}
	}
	if len(cells) > len(c.ind) {
		for i := len(c.ind); i < len(cells); i++ {
			if strings.TrimSpace(cells[i]) != "" {
				probs = append(probs, Problem{Row: line, Column: colName(i), Message: "该单元格在表头之外,被忽略", kind: kindOutside})
				break
			}
		}
	}
	for i, cell := range cells {
		if i >= len(c.ind) {
			break
		}
		switch {
		case i == c.unit:
			r.Unit = strings.TrimSpace(cell)
		case i == c.per:
			r.Period = strings.TrimSpace(cell)
		case c.ind[i] != nil:
			if !isBlank(cell) {
				r.Cells[c.ind[i].Index] = cell
			}
		}
	}
	return r, probs
}

// colName is the spreadsheet name of a 0-based column: A, B, …, AA.
func colName(i int) string {
	name, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return strconv.Itoa(i + 1)
	}
	return name
}

type csvReader struct {
	cols *columns
	r    *csvRecords
}

func newCSVReader(f *rules.Form, r io.Reader, encoding string, lim Limits) (*csvReader, error) {
	text, err := decodeText(r, encoding)
	if err != nil {
		return nil, err
	}
	// A record is held whole, and a slice entry per field: the lines are
	// bounded before they are read.
	return &csvReader{cols: newColumns(f, lim), r: newCSVRecords(&lineLimiter{r: text, max: lim.LineBytes})}, nil
}

// csvRecords reads CSV records as encoding/csv does with LazyQuotes and
// any number of fields per record, faster: a line with no quote, what
// nearly every line of a batch is, is split at its commas here; a record
// with a quote is read by an encoding/csv.Reader fed the lines of that
// record only.
type csvRecords struct {
	br     *bufio.Reader
	line   int      // the lines read
	long   []byte   // a line longer than br's buffer
	fields []string // the last record, reused
	quoted *csv.Reader
	feed   csvFeed
	chunk  struct{ bytes, lines int } // the size of a chunk (see cut)
}

func newCSVRecords(r io.Reader) *csvRecords {
	c := &csvRecords{br: bufio.NewReaderSize(r, 64<<10)}
	c.chunk.bytes, c.chunk.lines = chunkBytes, chunkLines
	c.feed.c = c
	c.quoted = csv.NewReader(&c.feed)
	c.quoted.FieldsPerRecord = -1
	c.quoted.LazyQuotes = true
	c.quoted.ReuseRecord = true
	return c
}

// readLine reads a line as read, its newline included; valid until the
// next call. io.EOF comes with no bytes.
func (c *csvRecords) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		c.long = append(c.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = c.br.ReadSlice('\n')
			c.long = append(c.long, line...)
		}
		line = c.long
	}
	if len(line) == 0 {
		if err == nil {
			err = io.EOF
		}
		return nil, err
	}
	if errors.Is(err, io.EOF) {
		err = nil // the last line, without a newline
	}
	c.line++
	return line, err
}

// Read returns the next record, which is valid until the next call, and
// the line it starts on.
func (c *csvRecords) Read() ([]string, int, error) {
	for {
		raw, err := c.readLine()
		if err != nil {
			return nil, 0, err
		}
		if bytes.IndexByte(raw, '"') >= 0 {
			return c.quotedRecord(raw)
		}
		if b := trimLine(raw); len(b) > 0 {
			c.fields = splitLine(c.fields[:0], string(b))
			return c.fields, c.line, nil
		}
	}
}

// quotedRecord reads the record starting with raw, a line with a quote,
// by encoding/csv: it may go on over the next lines.
func (c *csvRecords) quotedRecord(raw []byte) ([]string, int, error) {
	line := c.line
	c.feed.pending = raw
	rec, err := c.quoted.Read()
	var pe *csv.ParseError
	if errors.As(err, &pe) { // its lines are counted from the first line fed
		pe.Line += line - pe.StartLine
		pe.StartLine = line
	}
	return rec, line, err
}

// trimLine is a line with no quote without its newline, as encoding/csv
// reads it: \r\n is a newline, a \r before the end of the file is
// dropped; empty, the line is skipped.
func trimLine[T string | []byte](raw T) T {
	n := len(raw)
	if n > 0 && raw[n-1] == '\n' {
		n--
	}
	if n > 0 && raw[n-1] == '\r' {
		n--
	}
	return raw[:n]
}

// splitLine appends the fields of a line with no quote to fields.
func splitLine(fields []string, text string) []string {
	start := 0
	for i := 0; i < len(text); i++ { // cells are short: a loop beats IndexByte
		if text[i] == ',' {
			fields = append(fields, text[start:i])
			start = i + 1
		}
	}
	return append(fields, text[start:])
}

// csvFeed gives encoding/csv the lines of one record: the first one,
// pending, then the next lines of the file as it asks for them.
type csvFeed struct {
	c       *csvRecords
	pending []byte
}

func (f *csvFeed) Read(p []byte) (int, error) {
	if len(f.pending) == 0 {
		line, err := f.c.readLine()
		if err != nil {
			return 0, err
		}
		f.pending = line
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// lineLimiter fails a read that would make a line (the bytes between two
// newlines) longer than max.
type lineLimiter struct {
	r   io.Reader
	max int
	run int // bytes since the last newline
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for b := p[:n]; len(b) > 0; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		if l.run += i; l.run > l.max {
			return 0, &LimitError{Limit: "line_bytes", Max: int64(l.max)}
		}
		if i < len(b) {
			l.run = 0
			i++
		}
		b = b[i:]
	}
	return n, err
}

// header reads the header row, when it has not been read yet.
func (c *csvReader) header() ([]Problem, error) {
	if c.cols.ind != nil {
		return nil, nil
	}
	rec, _, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the file is empty", ErrFormat)
		}
		if errors.Is(err, ErrLimit) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: header: %w", ErrFormat, err)
	}
	return c.cols.header(rec)
}

// csvProblem is the problem of a broken record: the reader reports it
// and goes on with the next line. Any other error is not the file's fault
// (a limit, a timeout, a cut connection) and ends it.
func csvProblem(err error) (Problem, bool) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return Problem{}, false
	}
	return Problem{Row: pe.StartLine, Message: "CSV 格式错误:" + pe.Err.Error(), kind: kindCSV}, true
}

func (c *csvReader) Next() (Row, []Problem, error) {
	first, err := c.header()
	if err != nil {
		return Row{}, first, err
	}
	for {
		rec, line, err := c.r.Read()
		if p, ok := csvProblem(err); ok {
			first = append(first, p)
			continue
		}
		if err != nil {
			return Row{}, first, err
		}
		if blank(rec) {
			continue
		}
		row, probs := c.cols.row(line, rec)
		return row, append(first, probs...), nil
	}
}

// isBlank reports whether s is only white space, as strings.TrimSpace
// sees it; a cell starting with an ASCII character that is not a space,
// as most do, is not, without a look at the rest.
func isBlank(s string) bool {
	if s == "" {
		return true
	}
	if c := s[0]; c < utf8.RuneSelf && c != ' ' && (c < '\t' || c > '\r') {
		return false
	}
	return strings.TrimSpace(s) == ""
}

func blank(cells []string) bool {
	for _, c := range cells {
		if !isBlank(c) {
			return false
		}
	}
	return true
}

type xlsxReader struct {
	cols   *columns
	file   *excelize.File
	rows   *excelize.Rows
	line   int
	closed bool
}

// xlsxParts are the members of a workbook a reader needs: the package's
// and the workbook's relations, the workbook (its sheet list), the shared
// strings, the styles and the worksheets. The others (images, embedded
// objects, anything else a zip can hold) are left unread.
func xlsxPart(name string) bool {
	switch strings.ToLower(name) {
	case "[content_types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
		"xl/sharedstrings.xml", "xl/styles.xml":
		return true
	}
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "xl/worksheets/") && strings.HasSuffix(n, ".xml") && !strings.Contains(n[len("xl/worksheets/"):], "/")
}

// xlsxMemory is the size above which excelize keeps a worksheet or the
// shared strings in a temporary file rather than in memory (its default);
// tests lower it.
var xlsxMemory int64 = 16 << 20

// workbookParts copies the members of a workbook that xlsxPart keeps into
// a new zip, compressed bytes as they are (nothing is decompressed), and
// refuses the workbook when they would expand to more than limit.
func workbookParts(data []byte, limit int64) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: not an XLSX workbook: %w", ErrFormat, err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	var total uint64
	for _, f := range zr.File {
		if !xlsxPart(f.Name) {
			continue
		}
		// The sizes are the ones the zip declares; archive/zip fails a
		// member that expands to more than it declared.
		if total += f.UncompressedSize64; total > uint64(limit) {
			return nil, &LimitError{Limit: "sheet_bytes", Max: limit}
		}
		r, err := f.OpenRaw()
		if err != nil {
			return nil, fmt.Errorf("%w: not an XLSX workbook: %w", ErrFormat, err)
		}
		w, err := zw.CreateRaw(&f.FileHeader)
		if err == nil {
			_, err = io.Copy(w, r)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: not an XLSX workbook: %w", ErrFormat, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func newXLSXReader(f *rules.Form, r io.Reader, lim Limits) (*xlsxReader, error) {
	// A workbook is a zip, read from its end: it is held in memory (the
	// server bounds its body); what it may expand to is bounded below.
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if data, err = workbookParts(data, lim.SheetBytes); err != nil {
		return nil, err
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: max(lim.SheetBytes, xlsxMemory), UnzipXMLSizeLimit: xlsxMemory, TmpDir: lim.tmpDir,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: not an XLSX workbook: %w", ErrFormat, err)
	}
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		_ = x.Close()
		return nil, fmt.Errorf("%w: the workbook has no sheet", ErrFormat)
	}
	rows, err := x.Rows(sheets[0])
	if err != nil {
		_ = x.Close()
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return &xlsxReader{cols: newColumns(f, lim), file: x, rows: rows}, nil
}

// Close removes the temporary files excelize made for a large sheet; Read
// calls it whatever happened, and it may be called more than once.
func (x *xlsxReader) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	return errors.Join(x.rows.Close(), x.file.Close())
}

func (x *xlsxReader) Next() (Row, []Problem, error) {
	var first []Problem
	for x.rows.Next() {
		x.line++
		cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			first = append(first, Problem{Row: x.line, Message: "无法读取该行:" + err.Error(), kind: kindRowUnreadable})
			continue
		}
		if x.cols.ind == nil {
			if blank(cells) {
				continue
			}
			probs, err := x.cols.header(cells)
			first = append(first, probs...)
			if err != nil {
				return Row{}, first, err
			}
			continue
		}
		if blank(cells) {
			continue
		}
		row, probs := x.cols.row(x.line, cells)
		return row, append(first, probs...), nil
	}
	err := x.rows.Error()
	_ = x.Close()
	if err != nil {
		return Row{}, first, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if x.cols.ind == nil {
		return Row{}, first, fmt.Errorf("%w: the first sheet is empty", ErrFormat)
	}
	return Row{}, first, io.EOF
}

// object turns one decoded JSON object into a Row: unit, period, figures
// (an object) and indicators by id or name at the top level. Keys are
// resolved by rules.ResolveKeys, with its one policy for a figure given
// twice (by id and by name, or at the top level and in figures): reported,
// neither value used. Problems come sorted by column, never in map order.
func (c *columns) object(line int, obj map[string]any) (Row, []Problem) {
	r := Row{Line: line, Values: make([]any, len(c.form.Indicators))}
	var probs []Problem
	str := func(k string, v any) string {
		switch x := v.(type) {
		case string:
			return strings.TrimSpace(x)
		case json.Number:
			return x.String()
		case nil:
			return ""
		}
		probs = append(probs, Problem{Row: line, Column: k, Message: "应为文字", kind: kindNotText})
		return ""
	}
	figures := make(map[string]any, len(obj))
	for k, v := range obj {
		switch {
		case isUnitKey(k):
			r.Unit = str(k, v)
		case isPeriodKey(k):
			r.Period = str(k, v)
		case k == "figures":
		default:
			figures[k] = v
		}
	}
	if v, ok := obj["figures"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			probs = append(probs, Problem{Row: line, Column: "figures", Message: "figures 应为对象", kind: kindNotObject})
		}
		for k, v := range m {
			if _, both := figures[k]; both {
				probs = append(probs, Problem{Row: line, Column: k, Message: fmt.Sprintf("%q 在同一行出现两次(顶层与 figures 中各一次),两个值都不采用", k), kind: kindTwice})
				figures[k] = nil
				continue
			}
			figures[k] = v
		}
	}
	keys := rules.ResolveKeys(c.form, figures, func(ind *rules.Indicator, _ string, v any) { r.Values[ind.Index] = v })
	for _, k := range keys.Unknown {
		if !c.reported[k] {
			if len(c.reported) < c.max {
				c.reported[k] = true // beyond max, reported again and counted
			}
			probs = append(probs, Problem{Row: line, Column: k, Message: fmt.Sprintf("未知字段 %q:表单中没有这个指标,被忽略", k), kind: kindUnknownKey})
		}
	}
	for _, ind := range keys.Twice {
		probs = append(probs, Problem{Row: line, Column: ind.ID, Message: fmt.Sprintf("指标「%s」在同一行以代码 %s 和中文名称各填了一次,两个值都不采用", ind.Name, ind.ID), kind: kindTwice})
	}
	slices.SortStableFunc(probs, func(a, b Problem) int { return strings.Compare(a.Column, b.Column) })
	return r, probs
}

// jsonReader reads a JSON array of rows with the intake's strict decoder.
type jsonReader struct {
	cols   *columns
	arr    *checker.JSONArray
	budget *budgetReader
	n      int
}

// budgetReader fails a read beyond what is left; the JSON reader refills
// it before each element, so that one element cannot be larger than
// Limits.LineBytes (give or take the decoder's read-ahead).
type budgetReader struct {
	r    io.Reader
	left int
	max  int
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, &LimitError{Limit: "line_bytes", Max: int64(b.max)}
	}
	n, err := b.r.Read(p[:min(len(p), b.left)])
	b.left -= n
	return n, err
}

func newJSONReader(f *rules.Form, r io.Reader, lim Limits) (*jsonReader, error) {
	budget := &budgetReader{r: r, left: lim.LineBytes, max: lim.LineBytes}
	arr, err := checker.NewJSONArray(budget)
	if err != nil {
		if errors.Is(err, ErrLimit) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return &jsonReader{cols: newColumns(f, lim), arr: arr, budget: budget}, nil
}

func (j *jsonReader) Next() (Row, []Problem, error) {
	j.budget.left = j.budget.max
	var obj map[string]any
	if err := j.arr.Next(&obj); err != nil {
		if errors.Is(err, io.EOF) {
			return Row{}, nil, io.EOF
		}
		if errors.Is(err, ErrLimit) || j.budget.left <= 0 {
			return Row{}, nil, &LimitError{Limit: "line_bytes", Max: int64(j.budget.max)}
		}
		// A syntax error leaves the decoder unusable: the batch ends here.
		return Row{}, nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	j.n++
	if len(obj) > j.cols.max {
		return Row{}, nil, j.cols.tooMany()
	}
	row, probs := j.cols.object(j.n, obj)
	return row, probs, nil
}

func newScanner(r io.Reader, max int) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, min(64<<10, max)), max)
	return sc
}

type ndjsonReader struct {
	cols *columns
	sc   *bufio.Scanner
	line int
	max  int // Limits.LineBytes
}

func (n *ndjsonReader) Next() (Row, []Problem, error) {
	var first []Problem
	for n.sc.Scan() {
		n.line++
		b := bytes.TrimSpace(n.sc.Bytes())
		if n.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(b) == 0 {
			continue
		}
		var obj map[string]any
		if err := checker.DecodeJSON(b, &obj, "a row"); err != nil {
			first = append(first, Problem{Row: n.line, Message: "不是一个 JSON 对象:" + err.Error(), kind: kindNotObject})
			continue
		}
		if len(obj) > n.cols.max {
			return Row{}, first, n.cols.tooMany()
		}
		row, probs := n.cols.object(n.line, obj)
		return row, append(first, probs...), nil
	}
	if err := n.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Row{}, first, &LimitError{Limit: "line_bytes", Max: int64(n.max)}
		}
		return Row{}, first, fmt.Errorf("%w: line %d: %w", ErrFormat, n.line+1, err)
	}
	return Row{}, first, io.EOF
}

// ReadInput reads one file of a batch into a, from r: the format is
// format when given, else guessed from the content type (none for
// application/octet-stream and text/plain), the file name, then the first
// bytes. The service's upload and the CLI's files are read this way.
func (a *Auditor) ReadInput(r io.Reader, name, contentType, format, encoding string) error {
	br := bufio.NewReaderSize(a.Track(name, r), 64<<10)
	if format == "" {
		ct := contentType
		if mt, _, err := mime.ParseMediaType(contentType); err == nil {
			ct = mt
		}
		if ct == "application/octet-stream" || ct == "text/plain" {
			ct = ""
		}
		head, _ := br.Peek(512)
		format = DetectFormat(name, ct, head)
	}
	rr, err := a.NewReader(br, format, encoding)
	if err != nil {
		return err
	}
	return a.Read(name, rr)
}
