package checker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/figcheck/figcheck/rules"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The intake: every JSON body figcheck reads — a submission, a batch and
// its items, an extraction or receipt request, an audit row, the CLI's
// input — is decoded here, with the same strict options; numbers are
// read into one canonical value (numberValue) wherever they come from.

// ErrBadJSON marks JSON that cannot be decoded into what was asked for:
// malformed, an unknown, repeated or mis-cased key, invalid UTF-8, the
// wrong kind of value, or data after the value.
var ErrBadJSON = errors.New("bad JSON")

// ErrBadSubmission marks a submission that cannot be decoded. It is
// ErrBadJSON: a submission is one of the JSON bodies of the intake.
var ErrBadSubmission = ErrBadJSON

// ErrMissingForm marks a submission or request without a form.
var ErrMissingForm = errors.New(`missing "form"`)

// ErrTextAndFigures rejects a submission that gives both text and figures.
var ErrTextAndFigures = errors.New(`give "figures" or "text", not both`)

// strict are the options of every decode: unknown keys are errors, and so
// (by jsontext's defaults) are a key given twice in one object, keys in
// another case and invalid UTF-8. Numbers in untyped places (figures) are
// kept as written (json.Number): a value too large for a float64 is then a
// bad figure, not an unreadable body.
var strict = jsonv2.JoinOptions(
	jsonv2.RejectUnknownMembers(true),
	jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *any) error {
		if dec.PeekKind() != '0' {
			return jsonv2.SkipFunc // anything but a number: the default
		}
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		*v = json.Number(tok.String())
		return nil
	})),
)

// jsonError is a decoding error with what the body should have been.
type jsonError struct {
	what string
	err  error
}

func (e *jsonError) Error() string         { return e.what + ": " + e.err.Error() }
func (e *jsonError) Unwrap() []error       { return []error{ErrBadJSON, e.err} }
func badJSON(what string, err error) error { return &jsonError{what, err} }

// DecodeJSON decodes b, one JSON value and nothing after it, into v with
// the intake's strict options. what names the expected shape in the error
// ("the body must be {form, text}"); errors wrap ErrBadJSON.
func DecodeJSON(b []byte, v any, what string) error {
	// From a bytes.Buffer the decoder reads in place, without a copy.
	return decodeOne(jsontext.NewDecoder(bytes.NewBuffer(b)), v, what, "the JSON value")
}

// decodeOne decodes the one value dec holds; noun names it in the error
// about trailing data.
func decodeOne(dec *jsontext.Decoder, v any, what, noun string) error {
	if err := jsonv2.UnmarshalDecode(dec, v, strict); err != nil {
		return badJSON(what, describeJSONError(err))
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return badJSON(what, errors.New("unexpected data after "+noun))
	}
	return nil
}

// JSONArray reads a JSON array element by element with the intake's
// options, as an audit reads a JSON batch without holding it whole.
type JSONArray struct {
	dec *jsontext.Decoder
	n   int
}

// NewJSONArray starts reading the array r holds; it fails when r does not
// start with one.
func NewJSONArray(r io.Reader) (*JSONArray, error) {
	dec := jsontext.NewDecoder(r, strict)
	if dec.PeekKind() != '[' {
		return nil, badJSON("a JSON batch must be an array of objects", errors.New("not an array"))
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, badJSON("a JSON batch must be an array of objects", describeJSONError(err))
	}
	return &JSONArray{dec: dec}, nil
}

// Next decodes the next element into v; it returns io.EOF after the last
// one (and the closing bracket). An error other than io.EOF ends the
// array: a decoder past a syntax error cannot go on.
func (a *JSONArray) Next(v any) error {
	if a.dec.PeekKind() == ']' {
		if _, err := a.dec.ReadToken(); err != nil {
			return badJSON("the JSON array", describeJSONError(err))
		}
		if _, err := a.dec.ReadToken(); !errors.Is(err, io.EOF) {
			return badJSON("the JSON array", errors.New("unexpected data after the array"))
		}
		return io.EOF
	}
	a.n++
	if err := jsonv2.UnmarshalDecode(a.dec, v, strict); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return badJSON("the JSON array", errors.New("the array is not closed"))
		}
		return badJSON(fmt.Sprintf("element %d", a.n), describeJSONError(err))
	}
	return nil
}

// DecodeSubmission reads one submission as JSON. Unknown keys, a key given
// twice and trailing data are errors; figures may be numbers or strings
// (other values are reported by the check as builtin.type).
func DecodeSubmission(r io.Reader) (*Submission, error) {
	return decodeSubmission(&subReader{dec: submissionDecoder(r)})
}

// DecodeSubmissionBytes is DecodeSubmission for a byte slice, which it
// does not modify.
func DecodeSubmissionBytes(b []byte) (*Submission, error) {
	return decodeSubmission(&subReader{dec: submissionDecoder(bytes.NewBuffer(b))})
}

// DecodePlaced is DecodeSubmissionBytes with the submission placed (Place)
// for its form as forms finds it (nil: no such form): as its figures are
// read when "form" comes before them, as clients send it, from the maps
// after the decode otherwise. p.Form is nil when forms knows no such form.
func DecodePlaced(b []byte, forms func(id string) *rules.Form) (*Placed, error) {
	p := placedPool.Get().(*Placed)
	d := decoderPool.Get().(*pooledDecoder)
	d.in = *bytes.NewBuffer(b)
	d.dec.Reset(&d.in, jsontext.AllowDuplicateNames(true)) // as submissionDecoder
	r := subReader{dec: &d.dec, forms: forms, pl: p}
	s, err := decodeSubmission(&r)
	d.in = bytes.Buffer{} // b is the caller's
	decoderPool.Put(d)
	if err != nil {
		p.Release()
		return nil, err
	}
	p.Sub = s
	if !r.placedCur {
		placeMap(&p.cur, p.Form, s.Figures)
	}
	if !r.placedPrev {
		placeMap(&p.prev, p.Form, s.Previous)
	}
	return p, nil
}

// pooledDecoder is a submission decoder and its input, reused: a decoder
// keeps its state stacks from one submission to the next.
type pooledDecoder struct {
	dec jsontext.Decoder
	in  bytes.Buffer
}

var decoderPool = sync.Pool{New: func() any { return new(pooledDecoder) }}

func decodeSubmission(r *subReader) (*Submission, error) {
	dec := r.dec
	if dec.PeekKind() == 'n' { // null would decode as an empty submission
		return nil, badJSON("bad submission", errors.New("the submission must be a JSON object, got null"))
	}
	var s Submission
	r.c = internPool.Get().(*internCache)
	err := r.readSubmission(&s)
	internPool.Put(r.c)
	if err != nil {
		return nil, badJSON("bad submission", describeJSONError(err))
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, badJSON("bad submission", errors.New("unexpected data after the submission"))
	}
	if s.Form == "" {
		return nil, badJSON("bad submission", ErrMissingForm)
	}
	return &s, nil
}

// numberValue is the one reading of a number as a figure, however it came
// (a JSON number, a spreadsheet cell): 75, 75.0 and 7.5e1 are the same
// float64. ok is false when the text is not a finite number.
func numberValue(text string) (float64, bool) {
	if x, ok := plainInteger(text); ok {
		return x, true
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

// plainInteger reads text when it is an integer of at most 15 digits, an
// optional minus sign before them: most figures are counts. The value is
// ParseFloat's (every such integer is exact in a float64, and "-0" is
// negative zero), without its general parsing.
func plainInteger(text string) (float64, bool) {
	digits := strings.TrimPrefix(text, "-")
	if len(digits) == 0 || len(digits) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	x := float64(n)
	if len(digits) < len(text) {
		x = -x
	}
	return x, true
}

// describeJSONError says what is wrong in a client's words: where the JSON
// is malformed, or which key holds the wrong kind of value.
func describeJSONError(err error) error {
	var se *jsontext.SyntacticError
	var te *jsonv2.SemanticError
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("empty body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("JSON ends early")
	case errors.As(err, &te) && errors.Is(te.Err, jsonv2.ErrUnknownName):
		return fmt.Errorf("unknown field %q", te.JSONPointer.LastToken())
	case errors.As(err, &te) && te.GoType != nil && te.JSONKind != 0:
		want := jsonKind(te.GoType.Kind().String())
		if key := firstToken(te.JSONPointer); key != "" {
			return fmt.Errorf("%q must be %s, got %s", key, want, kindName(te.JSONKind))
		}
		return fmt.Errorf("expected %s, got %s", want, kindName(te.JSONKind))
	case errors.As(err, &se):
		msg := strings.TrimPrefix(se.Err.Error(), "jsontext: ")
		if se.JSONPointer != "" {
			return fmt.Errorf("malformed JSON at byte %d (%s): %s", se.ByteOffset, se.JSONPointer, msg)
		}
		return fmt.Errorf("malformed JSON at byte %d: %s", se.ByteOffset, msg)
	}
	return err
}

// firstToken is the top-level key of a JSON pointer: "figures" for
// /figures/gold.
func firstToken(p jsontext.Pointer) string {
	for tok := range p.Tokens() {
		return tok
	}
	return ""
}

// kindName names a JSON kind as JSON's grammar does.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return k.String()
}

func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	}
	return k
}

// IsPlaceholderRune reports whether r is one of the marks a template uses
// for a figure still to be filled in ("xx", "××", "**", "？？", "___"): the
// one set, for submitted values and for report text (package extract).
func IsPlaceholderRune(r rune) bool {
	switch r {
	case 'x', 'X', 'ｘ', 'Ｘ', '×', '*', '＊', '?', '？', '_', '＿':
		return true
	}
	return false
}

// ErrUnknownForm marks a form id that names no loaded form.
var ErrUnknownForm = errors.New("unknown form")

// FormOrOnly returns the form id names in rs or, for an empty id, the only
// form rs holds: the default of the batch audit, of the CLI and of the
// service. The error wraps ErrMissingForm (no id and not exactly one form)
// or ErrUnknownForm.
func FormOrOnly(rs *rules.Ruleset, id string) (*rules.Form, error) {
	if id == "" {
		ids := rs.FormIDs()
		if len(ids) != 1 {
			return nil, fmt.Errorf("%w (%d forms are loaded: %v)", ErrMissingForm, len(ids), ids)
		}
		id = ids[0]
	}
	f, ok := rs.Form(id)
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownForm, id, rs.FormIDs())
	}
	return f, nil
}
