package checker

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"

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
func readSubmission(dec *jsontext.Decoder, s *Submission) error {
	switch k := dec.PeekKind(); k {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
	case '"', '0', 't', 'f', '[':
		return kindError(dec, k, submissionType, false)
	default: // empty input or a syntax error: ReadToken says which
		_, err := dec.ReadToken()
		return err
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	var seen uint8
	for dec.PeekKind() != '}' {
		name, start, err := readName(dec)
		if err != nil {
			return err
		}
		var bit uint8
		switch name {
		case "form":
			bit, err = 1, readString(dec, &s.Form)
		case "unit":
			bit, err = 2, readString(dec, &s.Unit)
		case "period":
			bit, err = 4, readString(dec, &s.Period)
		case "text":
			bit, err = 8, readString(dec, &s.Text)
		case "figures":
			bit, err = 16, readFigures(dec, &s.Figures)
		case "previous":
			bit, err = 32, readFigures(dec, &s.Previous)
		case "explanations":
			bit, err = 64, readExplanations(dec, &s.Explanations)
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
func readName(dec *jsontext.Decoder) (string, int64, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return "", 0, err
	}
	start := dec.InputOffset() - int64(len(raw))
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), start, nil
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	return string(b), start, err
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
func readString(dec *jsontext.Decoder, dst *string) error {
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
func openObject(dec *jsontext.Decoder, t reflect.Type) (done bool, err error) {
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
// with the intake's options: numbers as written (json.Number).
func readFigures(dec *jsontext.Decoder, dst *map[string]any) error {
	*dst = nil
	if done, err := openObject(dec, figuresType); done {
		return err
	}
	m := make(map[string]any, 128) // a form's worth of figures
	*dst = m
	return readMembers(dec, m)
}

// readMembers reads the members of an open object into m, and its '}'.
func readMembers(dec *jsontext.Decoder, m map[string]any) error {
	for dec.PeekKind() != '}' {
		key, start, err := readName(dec)
		if err != nil {
			return err
		}
		if _, dup := m[key]; dup {
			return duplicateName(dec, start)
		}
		v, err := readAny(dec)
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
func readAny(dec *jsontext.Decoder) (any, error) {
	switch dec.PeekKind() {
	case '0':
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		return json.Number(tok.String()), nil
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
		if err := readMembers(dec, m); err != nil {
			return nil, err
		}
		return m, nil
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		a := []any{}
		for dec.PeekKind() != ']' {
			v, err := readAny(dec)
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
func readExplanations(dec *jsontext.Decoder, dst *map[string]string) error {
	*dst = nil
	if done, err := openObject(dec, textsType); done {
		return err
	}
	m := make(map[string]string)
	*dst = m
	for dec.PeekKind() != '}' {
		key, start, err := readName(dec)
		if err != nil {
			return err
		}
		if _, dup := m[key]; dup {
			return duplicateName(dec, start)
		}
		var v string
		if err := readString(dec, &v); err != nil {
			return err
		}
		m[key] = v
	}
	_, err := dec.ReadToken()
	return err
}
