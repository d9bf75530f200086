package checker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrBadSubmission marks a submission that cannot be decoded.
var ErrBadSubmission = errors.New("bad submission")

// DecodeSubmission reads one submission as JSON. Unknown top-level keys and
// trailing data are errors; figures may be numbers or strings (other values
// are reported by the check as builtin.type).
func DecodeSubmission(r io.Reader) (*Submission, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	// Figures keep the number as written (json.Number): a value too large
	// for a float64 is then a bad figure, not an unreadable submission.
	dec.UseNumber()
	var s Submission
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSubmission, describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: unexpected data after the submission", ErrBadSubmission)
	}
	if s.Form == "" {
		return nil, fmt.Errorf("%w: missing \"form\"", ErrBadSubmission)
	}
	return &s, nil
}

// DecodeSubmissionBytes is DecodeSubmission for a byte slice.
func DecodeSubmissionBytes(b []byte) (*Submission, error) {
	return DecodeSubmission(bytes.NewReader(b))
}

func describeJSONError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("empty body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("JSON ends early")
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON at byte %d: %w", se.Offset, err)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Errorf("%q must be %s, got %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return fmt.Errorf("expected %s, got %s", jsonKind(te.Type.Kind().String()), te.Value)
	}
	return err
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
