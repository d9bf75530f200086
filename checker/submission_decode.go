package checker

import (
	"encoding/json"
	"reflect"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// readSubmission decodes the one submission object dec holds into s with a
// token loop: what jsonv2.UnmarshalDecode(dec, s, strict) does (the same
// values, the same errors), without reflection and the per-figure
// unmarshaler call, which made the decode a third of a check's CPU. The
// strictness that lives in jsontext — a key given twice, invalid UTF-8 —
// is jsontext's own here too; unknown and mis-cased keys and values of the
// wrong kind get the errors jsonv2 gives. FuzzReadSubmission holds it to
// the jsonv2 decode.
func readSubmission(dec *jsontext.Decoder, s *Submission) error {
	switch k := dec.PeekKind(); k {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
	case 0: // empty input or a syntax error: ReadToken says which
		_, err := dec.ReadToken()
		return err
	default:
		return kindError(dec, k, submissionType)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		var err2 error
		switch name.String() {
		case "form":
			err2 = readString(dec, &s.Form)
		case "unit":
			err2 = readString(dec, &s.Unit)
		case "period":
			err2 = readString(dec, &s.Period)
		case "text":
			err2 = readString(dec, &s.Text)
		case "figures":
			err2 = readFigures(dec, &s.Figures)
		case "previous":
			err2 = readFigures(dec, &s.Previous)
		case "explanations":
			err2 = readExplanations(dec, &s.Explanations)
		default:
			return &jsonv2.SemanticError{JSONPointer: dec.StackPointer(), Err: jsonv2.ErrUnknownName}
		}
		if err2 != nil {
			return err2
		}
	}
	_, err := dec.ReadToken() // '}', or the error that ends the object early
	return err
}

var (
	submissionType = reflect.TypeFor[Submission]()
	stringType     = reflect.TypeFor[string]()
	figuresType    = reflect.TypeFor[map[string]any]()
)

// kindError is jsonv2's error for a value of the wrong kind at the
// decoder's position (the member just named, or the top level).
func kindError(dec *jsontext.Decoder, k jsontext.Kind, t reflect.Type) error {
	return &jsonv2.SemanticError{JSONPointer: dec.StackPointer(), JSONKind: k, GoType: t}
}

// readString reads a string member; null leaves the zero value, as jsonv2
// does.
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
	case 0:
		_, err := dec.ReadToken()
		return err
	default:
		return kindError(dec, k, stringType)
	}
}

// readFigures reads an object of figures: numbers as written
// (json.Number), strings, booleans and null as such, objects and arrays
// through jsonv2 with the intake's options (they are invalid figures, rare
// enough not to matter for speed).
func readFigures(dec *jsontext.Decoder, dst *map[string]any) error {
	switch k := dec.PeekKind(); k {
	case '{':
	case 'n':
		*dst = nil
		_, err := dec.ReadToken()
		return err
	case 0:
		_, err := dec.ReadToken()
		return err
	default:
		return kindError(dec, k, figuresType)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	m := *dst
	if m == nil {
		m = make(map[string]any, 128) // a form's worth of figures
		*dst = m
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		key := name.String() // before the next read, which reuses the token's bytes
		var v any
		switch dec.PeekKind() {
		case '0':
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			v = json.Number(tok.String())
		case '"':
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			v = tok.String()
		case 't', 'f':
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			v = tok.Bool()
		case 'n':
			if _, err := dec.ReadToken(); err != nil {
				return err
			}
		default:
			if err := jsonv2.UnmarshalDecode(dec, &v, strict); err != nil {
				return err
			}
		}
		m[key] = v
	}
	_, err := dec.ReadToken()
	return err
}

// readExplanations reads an object of strings; a null value is "".
func readExplanations(dec *jsontext.Decoder, dst *map[string]string) error {
	switch k := dec.PeekKind(); k {
	case '{':
	case 'n':
		*dst = nil
		_, err := dec.ReadToken()
		return err
	case 0:
		_, err := dec.ReadToken()
		return err
	default:
		return kindError(dec, k, reflect.TypeFor[map[string]string]())
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	m := *dst
	if m == nil {
		m = make(map[string]string)
		*dst = m
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		key := name.String() // before the next read, which reuses the token's bytes
		var v string
		if err := readString(dec, &v); err != nil {
			return err
		}
		m[key] = v
	}
	_, err := dec.ReadToken()
	return err
}
