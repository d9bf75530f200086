package audit

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/figcheck/figcheck/checker"
)

// store hands out records, figure vectors and raw-cell bytes from large
// blocks, so that a row costs no allocation of its own: a block of records
// and a block of figures serve thousands of rows, and the garbage
// collector sees a few large objects instead of millions of small ones.
// Only the reading goroutine calls it.
type store struct {
	n     int       // figures per row
	recs  []record  // the current block of records
	vals  []float64 // the current block of figures
	bytes []byte    // the current block of raw cells
	units []unitRows
	ptrs  []*record // room for each unit's first period
	// rows is the size of the next block, in rows: blocks start small and
	// double up to blockRows, so that a batch of ten rows stays small.
	rows int
}

const (
	blockRows  = 4096
	bytesBlock = 1 << 16
)

func newStore(n int) store { return store{n: n, rows: 16} }

// grow returns the rows of the next block.
func (s *store) grow() int {
	n := s.rows
	s.rows = min(2*s.rows, blockRows)
	return n
}

func (s *store) record() *record {
	if len(s.recs) == 0 {
		s.recs = make([]record, s.grow())
	}
	r := &s.recs[0]
	s.recs = s.recs[1:]
	return r
}

// unit returns a new unit with room for one period.
func (s *store) unit(name string) *unitRows {
	if len(s.units) == 0 {
		s.units = make([]unitRows, s.rows)
		s.ptrs = make([]*record, s.rows)
	}
	u := &s.units[0]
	u.name, u.periods = name, s.ptrs[:0:1]
	s.units, s.ptrs = s.units[1:], s.ptrs[1:]
	return u
}

// vector returns a row's figures, all NaN.
func (s *store) vector() []float64 {
	if len(s.vals) < s.n {
		s.vals = make([]float64, s.n*s.rows)
	}
	v := s.vals[:s.n:s.n]
	s.vals = s.vals[s.n:]
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// keepRaw encodes the figures of a row kept as written: for each, its
// index (uvarint), a kind byte and its text or bits. Strings and JSON
// numbers keep their text, a float64 its bits, anything else JSON decoded
// from a batch (a boolean, an object, an array) its JSON.
func (s *store) keepRaw(raw []any) []byte {
	b := make([]byte, 0, 64)
	for i, v := range raw {
		if v == nil {
			continue
		}
		b = binary.AppendUvarint(b, uint64(i))
		switch x := v.(type) {
		case string:
			b = appendText(append(b, 's'), x)
		case json.Number:
			b = appendText(append(b, 'n'), string(x))
		case float64:
			b = binary.LittleEndian.AppendUint64(append(b, 'f'), math.Float64bits(x))
		case bool:
			if x {
				b = append(b, 't')
			} else {
				b = append(b, 'F')
			}
		default:
			j, err := json.Marshal(x)
			if err != nil {
				j = []byte("null")
			}
			b = appendText(append(b, 'j'), string(j))
		}
	}
	if len(b) > min(bytesBlock, 64*s.rows)/4 {
		return b // a large row gets its own block
	}
	if cap(s.bytes)-len(s.bytes) < len(b) {
		s.bytes = make([]byte, 0, min(bytesBlock, 64*s.rows))
	}
	start := len(s.bytes)
	s.bytes = append(s.bytes, b...)
	return s.bytes[start:len(s.bytes):len(s.bytes)]
}

func appendText(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// decodeRaw is the inverse of keepRaw: n figures, nil where none was kept;
// nil when b is empty.
func decodeRaw(b []byte, n int) []any {
	if len(b) == 0 {
		return nil
	}
	raw := make([]any, n)
	text := func() string {
		l, k := binary.Uvarint(b)
		s := string(b[k : k+int(l)])
		b = b[k+int(l):]
		return s
	}
	for len(b) > 0 {
		i, k := binary.Uvarint(b)
		kind := b[k]
		b = b[k+1:]
		switch kind {
		case 's':
			raw[i] = text()
		case 'n':
			raw[i] = json.Number(text())
		case 'f':
			raw[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		case 't':
			raw[i] = true
		case 'F':
			raw[i] = false
		case 'j':
			d := json.NewDecoder(strings.NewReader(text()))
			d.UseNumber()
			var v any
			_ = d.Decode(&v)
			raw[i] = v
		}
	}
	return raw
}

// codeArena holds the rule codes of the rows one goroutine checks, in
// blocks; a row's codes are a slice of a block.
type codeArena struct {
	block, row []uint16
}

func (c *codeArena) begin() { c.row = c.row[:0] }

// addOnce adds code to the current row unless it has it.
func (c *codeArena) addOnce(code uint16) {
	if !slices.Contains(c.row, code) {
		c.row = append(c.row, code)
	}
}

// end returns the current row's codes, nil for none.
func (c *codeArena) end() []uint16 {
	if len(c.row) == 0 {
		return nil
	}
	if cap(c.block)-len(c.block) < len(c.row) {
		c.block = make([]uint16, 0, max(4096, len(c.row)))
	}
	start := len(c.block)
	c.block = append(c.block, c.row...)
	return c.block[start:len(c.block):len(c.block)]
}

// ruleTable numbers the rules rows violate, builtin ones included, for
// the outcomes; it is shared by the workers.
type ruleTable struct {
	mu    sync.Mutex
	code  map[string]uint16
	rules []RuleCount // by code, Rows unused
}

func (t *ruleTable) init() { t.code = map[string]uint16{} }

func (t *ruleTable) codeOf(v *checker.Violation) uint16 {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.code[v.Rule]
	if !ok {
		c = uint16(len(t.rules))
		t.code[v.Rule] = c
		t.rules = append(t.rules, RuleCount{Rule: v.Rule, Name: v.Name, Severity: v.Severity.String()})
	}
	return c
}
