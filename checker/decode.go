package checker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// ErrBadSubmission marks a submission that cannot be decoded.
var ErrBadSubmission = errors.New("bad submission")

// decodeOptions are strict: unknown keys are errors, and so (by jsontext's
// defaults) are a key given twice in one object and invalid UTF-8. Figures
// keep a number as written (json.Number): a value too large for a float64
// is then a bad figure, not an unreadable submission.
var decodeOptions = jsonv2.JoinOptions(
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

// DecodeSubmission reads one submission as JSON. Unknown keys, a key given
// twice and trailing data are errors; figures may be numbers or strings
// (other values are reported by the check as builtin.type).
func DecodeSubmission(r io.Reader) (*Submission, error) {
	return decode(jsontext.NewDecoder(r))
}

// DecodeSubmissionBytes is DecodeSubmission for a byte slice, which it
// does not modify.
func DecodeSubmissionBytes(b []byte) (*Submission, error) {
	// From a bytes.Buffer the decoder reads in place, without a copy.
	return decode(jsontext.NewDecoder(bytes.NewBuffer(b)))
}

func decode(dec *jsontext.Decoder) (*Submission, error) {
	if dec.PeekKind() == 'n' { // null would decode as an empty submission
		return nil, fmt.Errorf("%w: the submission must be a JSON object, got null", ErrBadSubmission)
	}
	var s Submission
	if err := jsonv2.UnmarshalDecode(dec, &s, decodeOptions); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSubmission, describeJSONError(err))
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: unexpected data after the submission", ErrBadSubmission)
	}
	if s.Form == "" {
		return nil, fmt.Errorf("%w: missing \"form\"", ErrBadSubmission)
	}
	return &s, nil
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
