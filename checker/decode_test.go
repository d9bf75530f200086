package checker_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/figcheck/figcheck/checker"
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
		{"null", `null`, `missing "form"`},
		{"array", `[]`, "expected an object, got array"},
		{"string", `"demo"`, "expected an object, got string"},
		{"form is a number", `{"form":1}`, `"form" must be a string, got number`},
		{"figures is an array", `{"form":"demo","figures":[1]}`, `"figures" must be an object, got array`},
		{"explanation is a number", `{"form":"demo","explanations":{"r":1}}`, `"explanations" must be a string, got number`},
		{"truncated", `{"form":"demo",`, "JSON ends early"},
		{"malformed", `{"form":"demo" "unit":"x"}`, "malformed JSON at byte 16"},
		{"leading zero", `{"form":"demo","figures":{"a":01}}`, "malformed JSON"},
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
// not a submission that cannot be read at all.
//
// This fails today: DecodeSubmission decodes figures as float64, so the whole
// submission is rejected with `"figures" must be float64, got number 1e999`,
// which names neither the figure nor a type a user knows. Calling
// dec.UseNumber() in DecodeSubmission fixes it (Normalize and the digest
// already handle json.Number).
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
