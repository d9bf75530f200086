package checker

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"io"
	"reflect"
	"sync"

	"github.com/figcheck/figcheck/rules"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// readSubmission decodes the one submission object dec holds into s with a
// token loop: what jsonv2.UnmarshalDecode(dec, s, strict) does — the same
// values and the same errors — without reflection and a function call per
// figure, which made the decode a third of a check's CPU. dec must allow
// duplicate names (submissionDecoder): jsontext's own check keeps every
// name of an object and, past 64 names, allocates a string per name; here
// the map being filled is the check, as in jsonv2's map decoding, and a
// key given twice gets jsontext's error. Invalid UTF-8 stays jsontext's
// check; unknown and mis-cased keys and values of the wrong kind get the
// errors jsonv2 gives. FuzzReadSubmission holds it to the jsonv2 decode.
func (r *subReader) readSubmission(s *Submission) error {
	dec := r.dec
	if done, err := r.openObject(submissionType); done {
		return err // null (no form, reported by the caller), or the error
	}
	var seen uint8
	for dec.PeekKind() != '}' {
		name, start, err := r.readName()
		if err != nil {
			return err
		}
		var bit uint8
		switch name {
		case "form":
			bit, err = 1, r.readString(&s.Form)
			if r.forms != nil && err == nil {
				r.pl.Form = r.forms(s.Form)
			}
		case "unit":
			bit, err = 2, r.readString(&s.Unit)
		case "period":
			bit, err = 4, r.readString(&s.Period)
		case "text":
			bit, err = 8, r.readString(&s.Text)
		case "figures":
			bit, err = 16, r.readFigures(&s.Figures, 100, false) // a form's worth of figures
		case "previous":
			bit, err = 32, r.readFigures(&s.Previous, 32, true) // the few that rules compare
		case "explanations":
			bit, err = 64, r.readExplanations(&s.Explanations)
		default:
			return &jsonv2.SemanticError{JSONPointer: dec.StackPointer(), Err: jsonv2.ErrUnknownName}
		}
		if seen&bit != 0 {
			return duplicateName(dec, start)
		}
		if err != nil {
			return err
		}
		seen |= bit
	}
	_, err := dec.ReadToken() // '}', or the error that ends the object early
	return err
}

// submissionDecoder is a decoder for readSubmission.
func submissionDecoder(r io.Reader) *jsontext.Decoder {
	return jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true))
}

var (
	submissionType = reflect.TypeFor[Submission]()
	stringType     = reflect.TypeFor[string]()
	figuresType    = reflect.TypeFor[map[string]any]()
	textsType      = reflect.TypeFor[map[string]string]()
)

// readName reads an object member's name and the offset where it starts.
func (r *subReader) readName() (string, int64, error) {
	b, start, err := r.readNameBytes()
	if err != nil {
		return "", 0, err
	}
	return r.c.name(b), start, nil
}

// readNameBytes is readName's name as bytes, valid until the next read.
func (r *subReader) readNameBytes() ([]byte, int64, error) {
	dec := r.dec
	raw, err := dec.ReadValue()
	if err != nil {
		return nil, 0, err
	}
	start := dec.InputOffset() - int64(len(raw))
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], start, nil
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	return b, start, err
}

// duplicateName is jsontext's error for a name given twice in an object,
// the name just read starting at start.
func duplicateName(dec *jsontext.Decoder, start int64) error {
	return &jsontext.SyntacticError{ByteOffset: start, JSONPointer: dec.StackPointer(), Err: jsontext.ErrDuplicateName}
}

// kindError is jsonv2's error for a value of the wrong kind at the
// decoder's position (the member just named, or the top level), reported
// where jsonv2 reports it, so that an input both of the wrong kind and
// malformed gets jsonv2's error: a string is read whole first (whole), an
// object or map only its first token.
func kindError(dec *jsontext.Decoder, k jsontext.Kind, t reflect.Type, whole bool) error {
	var err error
	if whole {
		_, err = dec.ReadValue()
	} else {
		_, err = dec.ReadToken()
	}
	if err != nil {
		return err
	}
	return &jsonv2.SemanticError{JSONPointer: dec.StackPointer(), JSONKind: k, GoType: t}
}

// readString reads a string member; null is "", as jsonv2 has it.
func (r *subReader) readString(dst *string) error {
	dec := r.dec
	switch k := dec.PeekKind(); k {
	case '"':
		tok, err := dec.ReadToken()
		*dst = tok.String()
		return err
	case 'n':
		*dst = ""
		_, err := dec.ReadToken()
		return err
	case '0', 't', 'f', '{', '[':
		return kindError(dec, k, stringType, true)
	default: // the error, as jsonv2 reads a string: whole
		_, err := dec.ReadValue()
		return err
	}
}

// openObject reads the '{' of an object member; null sets done (the member
// is then nil), another kind is t's kind error.
func (r *subReader) openObject(t reflect.Type) (done bool, err error) {
	dec := r.dec
	switch k := dec.PeekKind(); k {
	case '{':
		_, err := dec.ReadToken()
		return err != nil, err
	case '"', '0', 't', 'f', '[':
		return true, kindError(dec, k, t, false)
	default: // null, or the error
		_, err := dec.ReadToken()
		return true, err
	}
}

// readFigures reads an object of figures as jsonv2 reads a map[string]any
// with the intake's options: numbers as written (json.Number). When the
// form is known, the figures (of the previous period: prev) are placed as
// they are read.
func (r *subReader) readFigures(dst *map[string]any, hint int, prev bool) error {
	*dst = nil
	if done, err := r.openObject(figuresType); done {
		return err
	}
	m := make(map[string]any, hint)
	*dst = m
	if r.pl == nil || r.pl.Form == nil {
		return r.readMembers(m)
	}
	pl := &r.pl.cur
	if prev {
		pl, r.placedPrev = &r.pl.prev, true
	} else {
		r.placedCur = true
	}
	pl.Reset(r.pl.Form)
	return r.readPlaced(m, pl)
}

// readMembers reads the members of an open object into m, and its '}'.
func (r *subReader) readMembers(m map[string]any) error { return readObject(r, m, r.readAny) }

// readPlaced is readMembers placing every member in pl as well: a known
// key is the indicator's own string, and the placement, not the map,
// tells whether it was given before.
func (r *subReader) readPlaced(m map[string]any, pl *rules.Placement[any]) error {
	dec := r.dec
	for dec.PeekKind() != '}' {
		name, start, err := r.readNameBytes()
		if err != nil {
			return err
		}
		ind, g := pl.Lookup(name)
		var key string
		if ind != nil {
			if pl.Has(ind, g) {
				return duplicateName(dec, start)
			}
			key = ind.ID
			if g == rules.ByName {
				key = ind.Name
			}
		} else {
			key = r.c.name(name)
			if _, dup := m[key]; dup {
				return duplicateName(dec, start)
			}
		}
		v, err := r.readAny()
		if err != nil {
			return err
		}
		m[key] = v
		if ind != nil {
			pl.Put(ind, g, v)
		} else {
			pl.AddUnknown(key)
		}
	}
	_, err := dec.ReadToken()
	return err
}

// readObject reads the members of an open object into m, each value with
// read, and its '}'. A name given twice is jsontext's duplicate-name error.
func readObject[V any](r *subReader, m map[string]V, read func() (V, error)) error {
	dec := r.dec
	for dec.PeekKind() != '}' {
		key, start, err := r.readName()
		if err != nil {
			return err
		}
		if _, dup := m[key]; dup {
			return duplicateName(dec, start)
		}
		v, err := read()
		if err != nil {
			return err
		}
		m[key] = v
	}
	_, err := dec.ReadToken()
	return err
}

// readAny reads any JSON value as jsonv2 reads an any with the intake's
// options.
func (r *subReader) readAny() (any, error) {
	dec := r.dec
	switch dec.PeekKind() {
	case '0':
		raw, err := dec.ReadValue() // a number's value is its literal
		if err != nil {
			return nil, err
		}
		return r.c.number(raw), nil
	case '"':
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		return tok.String(), nil
	case 't', 'f':
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		return tok.Bool(), nil
	case '{':
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		m := map[string]any{}
		if err := r.readMembers(m); err != nil {
			return nil, err
		}
		return m, nil
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		a := []any{}
		for dec.PeekKind() != ']' {
			v, err := r.readAny()
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		return a, nil
	}
	_, err := dec.ReadValue() // null, or the error as jsonv2 reads it
	return nil, err
}

// readExplanations reads an object of strings; a null value is "".
func (r *subReader) readExplanations(dst *map[string]string) error {
	*dst = nil
	if done, err := r.openObject(textsType); done {
		return err
	}
	m := make(map[string]string)
	*dst = m
	return readObject(r, m, func() (string, error) {
		var v string
		err := r.readString(&v)
		return v, err
	})
}

// subReader is readSubmission's decoder and its cache; with forms, the
// placement it fills (DecodePlaced).
type subReader struct {
	dec                   *jsontext.Decoder
	c                     *internCache
	forms                 func(id string) *rules.Form
	pl                    *Placed
	placedCur, placedPrev bool
}

// internCache holds the names and number literals a decoder has seen, so
// that a form's ~100 figure names and its common small numbers are not a
// new string (and a new boxed json.Number) in every submission. Pooled:
// submissions of one form repeat each other. Bounded: a fixed number of
// slots, two for the entries that hash alike, short entries only; the
// older of the two is dropped for a third.
type internCache struct {
	names [internSlots]string
	nums  [internSlots]any // json.Number values
}

const internSlots = 1024

var internPool = sync.Pool{New: func() any { return new(internCache) }}

const maxInterned = 64 // bytes: longer names and literals are not kept

var internSeed = maphash.MakeSeed()

func slot(b []byte) uint64 { return maphash.Bytes(internSeed, b) % internSlots }

// name is string(b), from the cache when it was seen before.
func (c *internCache) name(b []byte) string {
	if len(b) > maxInterned {
		return string(b)
	}
	i := slot(b) &^ 1
	for _, j := range [2]uint64{i, i + 1} { // two slots, as for numbers
		if c.names[j] == string(b) { // no allocation: compared, not converted
			return c.names[j]
		}
	}
	c.names[i+1], c.names[i] = c.names[i], string(b)
	return c.names[i]
}

// number is json.Number(b) in an any, from the cache when seen before.
func (c *internCache) number(b []byte) any {
	if len(b) > maxInterned {
		return json.Number(b)
	}
	// Two slots for the literals that hash alike, the newest first, so
	// that two literals of one form do not push each other out in every
	// submission (with one slot each, a form's hundred names missed a
	// fifth of the time).
	i := slot(b) &^ 1
	for _, j := range [2]uint64{i, i + 1} {
		if n, ok := c.nums[j].(json.Number); ok && string(n) == string(b) {
			return c.nums[j]
		}
	}
	c.nums[i+1], c.nums[i] = c.nums[i], json.Number(b)
	return c.nums[i]
}
