package checker_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/go-json-experiment/json/jsontext"
)

func TestDecodeSubmission(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		err      string // substring of the error; empty: decodes
	}{
		{"minimal", `{"form":"demo"}`, ""},
		{"full", `{"form":"demo","unit":"某区","period":"2025H1","figures":{"gold":1,"金牌数":"１"},"previous":{"gold":null},"explanations":{"r":"说明"}}`, ""},
		{"trailing whitespace", "{\"form\":\"demo\"}\n\t ", ""},
		{"figures of any JSON kind (checked later)", `{"form":"demo","figures":{"a":true,"b":{"x":1},"c":[1],"d":null,"e":"xx"}}`, ""},
		{"empty", ``, "empty body"},
		{"only whitespace", " \n ", "empty body"},
		{"unknown key", `{"form":"demo","figuers":{}}`, `unknown field "figuers"`},
		{"trailing object", `{"form":"demo"} {"form":"demo"}`, "unexpected data after the submission"},
		{"trailing garbage", `{"form":"demo"} x`, "unexpected data after the submission"},
		{"missing form", `{"figures":{"gold":1}}`, `missing "form"`},
		{"empty form", `{"form":""}`, `missing "form"`},
		{"null", `null`, `must be a JSON object, got null`},
		{"array", `[]`, "expected an object, got array"},
		{"string", `"demo"`, "expected an object, got string"},
		{"form is a number", `{"form":1}`, `"form" must be a string, got number`},
		{"figures is an array", `{"form":"demo","figures":[1]}`, `"figures" must be an object, got array`},
		{"explanation is a number", `{"form":"demo","explanations":{"r":1}}`, `"explanations" must be a string, got number`},
		{"truncated", `{"form":"demo",`, "JSON ends early"},
		{"malformed", `{"form":"demo" "unit":"x"}`, "malformed JSON at byte 15"},
		{"leading zero", `{"form":"demo","figures":{"a":01}}`, "malformed JSON"},
		{"a figure given twice", `{"form":"demo","figures":{"gold":1,"gold":2}}`, "malformed JSON at byte 35 (/figures/gold): duplicate object member name"},
		{"invalid UTF-8", "{\"form\":\"demo\",\"unit\":\"\xff\"}", "invalid UTF-8"},
		{"keys are lower case", `{"Form":"demo"}`, `unknown field "Form"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := checker.DecodeSubmission(strings.NewReader(tc.in))
			if tc.err == "" {
				if err != nil || s == nil || s.Form != "demo" {
					t.Fatalf("= %+v, %v", s, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("decoded %+v, want an error mentioning %q", s, tc.err)
			}
			if s != nil {
				t.Errorf("a submission came with the error")
			}
			if !errors.Is(err, checker.ErrBadSubmission) {
				t.Errorf("error %v is not ErrBadSubmission", err)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %q, want it to mention %q", err, tc.err)
			}
		})
	}
}

func TestDecodeSubmissionValues(t *testing.T) {
	s, err := checker.DecodeSubmissionBytes([]byte(`{"form":"demo","unit":"某区","period":"2025H1",
		"figures":{"gold":12,"金牌数":"１２","x":null},"previous":{"gold":11.5},"explanations":{"r.one":"说明"}}`))
	if err != nil {
		t.Fatal(err)
	}
	// Numbers are compared as printed: float64 and json.Number both do.
	if s.Unit != "某区" || s.Period != "2025H1" || fmt.Sprint(s.Figures["gold"]) != "12" || s.Figures["金牌数"] != "１２" ||
		fmt.Sprint(s.Previous["gold"]) != "11.5" || s.Explanations["r.one"] != "说明" {
		t.Errorf("decoded %+v", s)
	}
	if v, ok := s.Figures["x"]; !ok || v != nil {
		t.Errorf("null figure decoded as %#v, %v", v, ok)
	}
	// A reader that fails is an error too, not a panic.
	if _, err := checker.DecodeSubmission(iotest.ErrReader(errors.New("connection reset"))); err == nil {
		t.Error("a failing reader decoded")
	}
}

// TestDecodeHugeNumber: a JSON number too large for a float64 is a bad
// figure, reported as builtin.type on that figure like the string "1e999",
// not a submission that cannot be read at all: figures keep numbers as
// written (json.Number).
func TestDecodeHugeNumber(t *testing.T) {
	s, err := checker.DecodeSubmissionBytes([]byte(`{"form":"demo","figures":{"gold":1e999,"events":10}}`))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	var c checker.Checker
	r := c.Check(demo(t), s)
	if len(r.Violations) == 0 || r.Violations[0].Rule != checker.BuiltinType || r.Violations[0].Fields["gold"] == nil {
		t.Errorf("violations = %v, want builtin.type on gold first", lines(r.Violations, violationLine))
	}
}

// decodeV1 is DecodeSubmission as first written, on encoding/json: the
// reference the faster decoder is held to.
func decodeV1(b []byte) (*checker.Submission, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var s checker.Submission
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data")
	}
	if s.Form == "" {
		return nil, errors.New("no form")
	}
	return &s, nil
}

// FuzzDecodeSubmission: the decoder never panics nor modifies its input,
// accepts nothing the encoding/json decoder it replaced rejected, and
// decodes what it accepts the same. It is stricter in three ways, all
// reported as errors: a key given twice, invalid UTF-8 and keys in another
// case ("Form").
func FuzzDecodeSubmission(f *testing.F) {
	for _, s := range []string{
		`{"form":"demo"}`,
		`{"form":"demo","unit":"某区","period":"2025H1","figures":{"gold":12,"金牌数":"１２","x":null,"y":true,"z":{"a":[1,"b"]}},"previous":{"gold":11.5},"explanations":{"r":"说明"},"text":"t"}`,
		`{"form":"demo","figures":{"gold":1e999,"a":-0.5e-3}}`,
		`{"form":"demo","figures":{"gold":1,"gold":2}}`,
		`{"Form":"demo"}`,
		`{"form":"demo"} x`,
		`[1,2]`,
		`{"form":"demo","explanations":{"r":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		got, err := checker.DecodeSubmissionBytes(b)
		if !bytes.Equal(b, orig) {
			t.Fatalf("decoding modified its input: %q, was %q", b, orig)
		}
		if err != nil {
			if !errors.Is(err, checker.ErrBadSubmission) {
				t.Fatalf("error %v is not ErrBadSubmission", err)
			}
			return
		}
		want, werr := decodeV1(b)
		if werr != nil {
			t.Fatalf("%q: accepted, but encoding/json rejects it: %v", b, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got  %#v\n want %#v", b, got, want)
		}
		samePlaced(t, b, got, err)
	})
}

// decodeReflect is DecodeSubmission as jsonv2 does it by reflection
// (DecodeJSON into a Submission): the reference of the token loop.
func decodeReflect(b []byte) (*checker.Submission, error) {
	// The intake's one rule beyond the options: a null submission is not
	// an empty one.
	if jsontext.NewDecoder(bytes.NewReader(b)).PeekKind() == 'n' {
		return nil, errors.New("bad submission: the submission must be a JSON object, got null")
	}
	var s checker.Submission
	if err := checker.DecodeJSON(b, &s, "bad submission"); err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "the JSON value", "the submission", 1))
	}
	if s.Form == "" {
		return nil, errors.New(`bad submission: missing "form"`)
	}
	return &s, nil
}

// FuzzReadSubmission: the token-loop decoder gives what jsonv2's
// reflection decode with the intake's options gives — the same submission,
// or an error with the same message.
func FuzzReadSubmission(f *testing.F) {
	for _, s := range []string{
		`{"form":"demo"}`,
		`{"form":"demo","unit":"某区","period":"2025H1","figures":{"gold":12,"金牌数":"１２","x":null,"y":true,"z":{"a":[1,"b"]},"w":[]},"previous":{"gold":11.5},"explanations":{"r":"说明","s":null},"text":"t"}`,
		`{"form":"demo","figures":{"gold":1e999,"a":-0.5e-3}}`,
		`{"form":"demo","figures":{"gold":1,"gold":2}}`,
		`{"form":"demo","figures":{},"previous":null,"explanations":{}}`,
		`{"form":null,"unit":null,"text":null,"figures":null,"explanations":null}`,
		`{"Form":"demo"}`, `{"form":"demo","x":1}`, `{"form":"demo","figures":{"a":{"b":1,"b":2}}}`,
		`{"form":"demo"} x`, `{"form":"demo"`, `{"form":"demo","figures":{"a":1`, `{"form"`, ``, `   `,
		`[1,2]`, `"x"`, `1`, `true`, `null`, `{"form":1}`, `{"form":{"a":1}}`, `{"form":"demo","figures":"x"}`,
		`{"form":"demo","figures":[1]}`, `{"form":"demo","explanations":{"r":1}}`, `{"form":"demo","explanations":[]}`,
		"{\"form\":\"demo\",\"unit\":\"\xff\"}", "{\"form\":\"demo\",\"figures\":{\"\xff\":1}}",
		`{"form":"demo","figures":{"a":01}}`, `{"form":"demo" "unit":"x"}`, `{"form":"demo",}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := checker.DecodeSubmissionBytes(b)
		want, werr := decodeReflect(b)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: error %v, jsonv2 %v", b, err, werr)
		}
		// One difference is allowed: in JSON that is malformed even with
		// duplicate names allowed, jsonv2 may come upon a duplicate name
		// inside a bogus value (jsontext reads one where a name belongs)
		// before it sees the syntax error the token loop reports.
		if err != nil && err.Error() != werr.Error() &&
			!(strings.Contains(werr.Error(), "duplicate object member name") && (strings.Contains(err.Error(), "malformed JSON") || strings.Contains(err.Error(), "JSON ends early")) &&
				!jsontext.Value(b).IsValid(jsontext.AllowDuplicateNames(true))) {
			t.Fatalf("%q: error %v, jsonv2 %v", b, err, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got  %#v\n want %#v", b, got, want)
		}
		samePlaced(t, b, got, err)
	})
}

// samePlaced fails the test unless DecodePlaced gives what
// DecodeSubmissionBytes gave for b (got, err): the same submission, the
// same error, and the digest and check of the figures placed from the
// maps.
func samePlaced(t *testing.T, b []byte, got *checker.Submission, err error) {
	t.Helper()
	f := demo(t)
	pl, perr := checker.DecodePlaced(b, func(id string) *rules.Form {
		if id == f.ID {
			return f
		}
		return nil
	})
	if (perr == nil) != (err == nil) || (perr != nil && perr.Error() != err.Error()) {
		t.Fatalf("%q: DecodePlaced error %v, DecodeSubmissionBytes %v", b, perr, err)
	}
	if perr != nil {
		return
	}
	defer pl.Release()
	if !reflect.DeepEqual(pl.Sub, got) {
		t.Fatalf("%q: DecodePlaced:\n got  %#v\n want %#v", b, pl.Sub, got)
	}
	if got.Form != f.ID {
		if pl.Form != nil {
			t.Fatalf("%q: placed for %s", b, pl.Form.ID)
		}
		return
	}
	if d := checker.SubmissionDigest(got); pl.Digest() != d {
		t.Fatalf("%q: digest of the placed submission differs", b)
	}
	var c checker.Checker
	id := checker.CheckID(f, pl.Digest())
	if g, w := encode(t, c.CheckPlaced(pl, id)), encode(t, c.CheckWithID(f, got, id)); g != w {
		t.Fatalf("%q: check of the placed submission:\n got  %s\n want %s", b, g, w)
	}
}
