package audit

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"iter"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// What the audit keeps of its rows holds no pointer: records, figures,
// unit names, the unit index, outcomes and the cells kept as written live
// in large blocks that the garbage collector does not scan, and refer to
// each other by number. (Explanations, which few rows have, are a map per
// row that has some.) A row costs its figures (8 bytes each) and some 60
// bytes: its record (28), its unit's entry (8), slot in the index (5 to
// 10) and name when it is the unit's only row, and the codes of the rules
// it breaks.

// record is what is kept of one row besides its figures (see the package
// comment). The violations themselves are not kept: the report renders a
// listed row when it writes it, from the same figures and the rules its
// outcome says it violates. Its unit, period and figures are read through
// the Auditor: unitOf, periodOf and vals.
type record struct {
	id   int32 // the row's number, in input order: where its figures are
	unit int32 // index in the unit table
	per  int32 // index in Auditor.periodNames
	line int32 // the row in its file (the file is Auditor.fileOf(id))
	// next is the record of the unit's period before this one, -1 for
	// none: a unit's records are a list from its latest period down.
	next int32
	// out is where the outcome's counts and rule codes are in the
	// outcome arena; 0 for none (no error, no warning).
	out uint32
	// state is written by the worker that checks the row: its verdict,
	// and stateListed.
	state uint8
	// flags are written by the reading goroutine (flag*).
	flags uint8
	// periods is the unit's number of periods, kept in its latest
	// period's record (the head of its list) only.
	periods uint16
}

const (
	stateListed = 1 << 2 // a violation or an evaluation error: the report lists the row

	flagRaw     = 1 << 0 // figures kept as written, in Auditor.raws
	flagExplain = 1 << 1 // explanations, in Auditor.explain
	flagStale   = 1 << 2 // checked before the period now before it was read
)

func (r *record) verdict() uint8 { return r.state &^ stateListed }
func (r *record) listed() bool   { return r.state&stateListed != 0 }

// outcome is what the summary needs of a row's check besides its verdict,
// and what the report needs to render the row when it is listed.
type outcome struct {
	errors, warnings int32
	// rules are the codes (see ruleTable) of the rules the row violates,
	// unexplained, each once, as uvarints.
	rules []byte
	// skipped is the number of rules the check skipped, and rendered
	// says the report renders the row from the outcome (checker.Render):
	// when it is listed and has no evaluation error (whose message only
	// a check gives) and no explanation (an explained violation has no
	// code). Otherwise the report checks the row again.
	skipped  int32
	rendered bool
}

// ruleCodes yields the codes of o.rules.
func (o outcome) ruleCodes() iter.Seq[uint16] {
	return func(yield func(uint16) bool) {
		for b := o.rules; len(b) > 0; {
			c, k := binary.Uvarint(b)
			b = b[k:]
			if !yield(uint16(c)) {
				return
			}
		}
	}
}

// Rows are kept in blocks: blocks 0 and 1 hold 16 rows, then each block
// twice the one before up to blockRows, then blockRows each; a batch of
// ten rows stays small and a large one is a few hundred large objects.
const blockRows = 4096

// blockOf is the block of row id and the row's index in it.
func blockOf(id int32) (block, i int) {
	switch {
	case id >= blockRows:
		return 8 + int(id/blockRows), int(id % blockRows)
	case id < 16:
		return 0, int(id)
	}
	k := bits.Len32(uint32(id) >> 4)
	return k, int(id) - 16<<(k-1)
}

// blockSize is the number of rows of block k.
func blockSize(k int) int {
	if k == 0 {
		return 16
	}
	return 16 << min(k-1, 8)
}

// store holds the records and figures of the rows. Only the reading
// goroutine adds to it.
type store struct {
	n    int // figures per row
	rows int32
	recs [][]record
	figs [][]float64
}

func newStore(n int) store { return store{n: n} }

// add returns a new record, numbered, and room for its figures, which the
// caller fills.
func (s *store) add() (*record, []float64) {
	id := s.rows
	k, i := blockOf(id)
	if k == len(s.recs) {
		s.recs = append(s.recs, make([]record, blockSize(k)))
		s.figs = append(s.figs, make([]float64, blockSize(k)*s.n))
	}
	s.rows++
	r := &s.recs[k][i]
	r.id, r.next = id, -1
	return r, s.figs[k][i*s.n : (i+1)*s.n : (i+1)*s.n]
}

func (s *store) rec(id int32) *record {
	k, i := blockOf(id)
	return &s.recs[k][i]
}

func (s *store) vals(id int32) []float64 {
	k, i := blockOf(id)
	return s.figs[k][i*s.n : (i+1)*s.n : (i+1)*s.n]
}

// byteArena keeps byte strings, each prefixed by its length (uvarint),
// in blocks that are never written again once a string is in them. A
// string is found by its block and its offset in the block.
type byteArena struct {
	blocks [][]byte
}

const (
	arenaBlock = 1 << 16
	arenaLarge = arenaBlock / 4 // a longer string gets a block of its own
)

// room returns the block to append a string of n bytes to.
func (b *byteArena) room(n int) int {
	need := binary.MaxVarintLen64 + n
	if n > arenaLarge {
		b.blocks = append(b.blocks, make([]byte, 0, need))
	} else if k := len(b.blocks); k == 0 || cap(b.blocks[k-1])-len(b.blocks[k-1]) < need || cap(b.blocks[k-1]) > arenaBlock {
		// Blocks grow from 1 KiB, for small batches.
		size := arenaBlock
		if k < 6 {
			size = max(1<<(10+k), need)
		}
		b.blocks = append(b.blocks, make([]byte, 0, size))
	}
	return len(b.blocks) - 1
}

func (b *byteArena) add(s string) (block, at uint32) {
	k := b.room(len(s))
	at = uint32(len(b.blocks[k]))
	b.blocks[k] = append(binary.AppendUvarint(b.blocks[k], uint64(len(s))), s...)
	return uint32(k), at
}

func (b *byteArena) addBytes(p []byte) (block, at uint32) {
	k := b.room(len(p))
	at = uint32(len(b.blocks[k]))
	b.blocks[k] = append(binary.AppendUvarint(b.blocks[k], uint64(len(p))), p...)
	return uint32(k), at
}

// bytes returns a string kept, which must not be changed.
func (b *byteArena) bytes(block, at uint32) []byte {
	p := b.blocks[block][at:]
	n, k := binary.Uvarint(p)
	return p[k : k+int(n) : k+int(n)]
}

// str returns a string kept without copying it: the arena never writes
// again the bytes of a block it has handed out.
func (b *byteArena) str(block, at uint32) string {
	p := b.bytes(block, at)
	if len(p) == 0 {
		return ""
	}
	return unsafe.String(&p[0], len(p))
}

// unitRows is a unit of the batch: its name and its records.
type unitRows struct {
	name uint32 // in the unit table's names: block<<16 | offset
	last int32  // the record of the unit's latest period
}

// unitTable numbers the units and finds them by name: an open-addressing
// hash table over their names, which are kept in a byteArena. A tag byte
// beside each slot (bits of its hash) spares reading the names of most of
// the slots a lookup passes. The table is at most ¾ full and grows by
// half (its size need not be a power of two), so that it stays at least
// half full: 5 to 10 bytes a unit.
type unitTable struct {
	units []unitRows
	names byteArena
	seed  maphash.Seed
	slots []int32 // unit index
	// tags are never 0 but for a free slot: a lookup reads the slots of
	// the tags it matches only.
	tags []uint8
	sink int32 // what touch read, so that its reads are not left out
}

func newUnitTable() unitTable { return unitTable{seed: maphash.MakeSeed()} }

func (t *unitTable) name(u int32) string { return t.nameOf(&t.units[u]) }

func (t *unitTable) nameOf(u *unitRows) string { return t.names.str(u.name>>16, u.name&0xffff) }

// probe is the first slot of a hash (its high bits scaled to the table)
// and its tag (its low bits).
func (t *unitTable) probe(h uint64) (int, uint8) {
	i, _ := bits.Mul64(h, uint64(len(t.slots)))
	return int(i), uint8(h) | 1
}

// next is the slot after slot i.
func (t *unitTable) next(i int) int {
	if i++; i == len(t.slots) {
		return 0
	}
	return i
}

func (t *unitTable) hash(name string) uint64 { return maphash.String(t.seed, name) }

// find returns the index of the unit named name, whose hash is h.
func (t *unitTable) find(name string, h uint64) (int32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	i, tag := t.probe(h)
	for ; t.tags[i] != 0; i = t.next(i) {
		if t.tags[i] == tag && t.name(t.slots[i]) == name {
			return t.slots[i], true
		}
	}
	return 0, false
}

// add adds a unit that find did not find, and returns its index; it fails
// when the names would take more than the arena can number.
func (t *unitTable) add(name string, h uint64) (int32, error) {
	if 4*(len(t.units)+1) > 3*len(t.slots) {
		t.grow()
	}
	block, at := t.names.add(name)
	if block >= 1<<16 || at >= 1<<16 {
		return 0, &LimitError{Limit: "unit_names", Max: 1 << 32}
	}
	u := int32(len(t.units))
	t.units = append(t.units, unitRows{name: block<<16 | at, last: -1})
	t.insert(u, h)
	return u, nil
}

func (t *unitTable) insert(u int32, h uint64) {
	i, tag := t.probe(h)
	for t.tags[i] != 0 {
		i = t.next(i)
	}
	t.slots[i], t.tags[i] = u, tag
}

// touch reads the first tag of a hash's probe and returns it, for the
// caller to use (see addChunk): a lookup of the hash soon after finds it
// in the cache.
func (t *unitTable) touch(h uint64) int32 {
	if len(t.slots) == 0 {
		return 0
	}
	i, _ := t.probe(h)
	return int32(t.tags[i])
}

func (t *unitTable) grow() {
	t.slots = make([]int32, max(16, len(t.slots)*3/2))
	t.tags = make([]uint8, len(t.slots))
	// The units are inserted a block at a time, their slots touched
	// first: the reads of the touch loop overlap (see addChunk).
	var hashes [256]uint64
	var sink int32
	for start := 0; start < len(t.units); start += len(hashes) {
		block := hashes[:min(len(hashes), len(t.units)-start)]
		for k := range block {
			block[k] = t.hash(t.name(int32(start + k)))
			sink += t.touch(block[k])
		}
		for k, h := range block {
			t.insert(int32(start+k), h)
		}
	}
	t.sink = sink
}

// rawRef is where the figures of a row kept as written are.
type rawRef struct {
	id        int32
	block, at uint32
}

// keepRaw encodes the figures of a row kept as written: for each, its
// index (uvarint), a kind byte and its text or bits. Strings and JSON
// numbers keep their text, a float64 its bits, anything else JSON decoded
// from a batch (a boolean, an object, an array) its JSON.
func keepRaw(b []byte, raw []any) []byte {
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
	return b
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

// outcomes keeps the outcomes of the rows checked with an error, a
// warning or anything listed, for all the workers, in a byteArena (blocks
// that never move: no copy as they grow, no room reserved by doubling).
// Each is uvarints of its errors, its warnings, its skipped rules + 1 (0
// when not rendered from the outcome) and its codes to the end. Where an
// outcome is, its block<<16 | offset (offsets are below 1<<16), is never
// 0: that is no outcome.
type outcomes struct {
	mu    sync.Mutex
	arena byteArena
	buf   []byte
}

// keep stores an outcome and returns where it is; 0 for one with nothing
// (not listed, no error, no warning). skipped is negative for a row not
// rendered from its outcome.
func (o *outcomes) keep(errors, warnings int, codes []uint16, skipped int) uint32 {
	if errors == 0 && warnings == 0 && len(codes) == 0 && skipped < 0 {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.arena.blocks) == 0 {
		o.arena.add("") // at 0: no outcome
	}
	b := binary.AppendUvarint(o.buf[:0], uint64(errors))
	b = binary.AppendUvarint(b, uint64(warnings))
	b = binary.AppendUvarint(b, uint64(skipped+1))
	for _, c := range codes {
		b = binary.AppendUvarint(b, uint64(c))
	}
	o.buf = b
	block, at := o.arena.addBytes(b)
	return block<<16 | at
}

// get reads an outcome kept; only once the rows are checked.
func (o *outcomes) get(at uint32) outcome {
	if at == 0 {
		return outcome{}
	}
	b := o.arena.bytes(at>>16, at&0xffff)
	next := func() uint64 {
		x, k := binary.Uvarint(b)
		b = b[k:]
		return x
	}
	out := outcome{errors: int32(next()), warnings: int32(next())}
	if s := next(); s > 0 {
		out.skipped, out.rendered = int32(s-1), true
	}
	out.rules = b
	return out
}

// codeSet collects the rule codes of one row, each once.
type codeSet []uint16

func (c *codeSet) addOnce(code uint16) {
	if !slices.Contains(*c, code) {
		*c = append(*c, code)
	}
}

// ruleTable numbers the rules rows violate, builtin ones included, for
// the outcomes; it is shared by the workers.
type ruleTable struct {
	mu    sync.Mutex
	form  *rules.Form
	code  map[string]uint16
	rules []RuleCount // by code, Rows unused
	// formRules are the form's rules by code, nil for builtin ones:
	// looked up once per rule, not once per rendered row.
	formRules []*rules.Rule
}

func (t *ruleTable) init(f *rules.Form) { t.form, t.code = f, map[string]uint16{} }

func (t *ruleTable) codeOf(v *checker.Violation) uint16 {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.code[v.Rule]
	if !ok {
		c = uint16(len(t.rules))
		t.code[v.Rule] = c
		t.rules = append(t.rules, RuleCount{Rule: v.Rule, Name: v.Name, Severity: v.Severity.String()})
		rule, _ := t.form.Rule(v.Rule)
		t.formRules = append(t.formRules, rule)
	}
	return c
}
