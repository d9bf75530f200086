package checker_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules"
)

// encodingJSON is a result as encoding/json writes it with HTML escaping
// off, the newline trimmed: what Result.AppendJSON must give.
func encodingJSON(r *checker.Result) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(r)
	return strings.TrimSuffix(b.String(), "\n"), err
}

func sameAsEncodingJSON(t *testing.T, name string, r *checker.Result) {
	t.Helper()
	want, werr := encodingJSON(r)
	e := jsonenc.Encoder{B: []byte("x")}
	r.EncodeJSON(&e)
	if e.Err != nil || werr != nil {
		if e.Err == nil || werr == nil {
			t.Fatalf("%s: EncodeJSON error %v, encoding/json error %v", name, e.Err, werr)
		}
		return
	}
	if got := string(e.B); got != "x"+want {
		t.Fatalf("%s:\n got  %s\n want x%s", name, got, want)
	}
}

// TestResultEncodeJSONIsEncodingJSON: the results of the demo and shipped forms'
// rule tests, of the messy submission, of the fuzz corpus and the decode
// test bodies, and results made up of awkward strings and values, encode
// to the same bytes as with encoding/json.
func TestResultEncodeJSONIsEncodingJSON(t *testing.T) {
	var c checker.Checker
	demoF := demo(t)
	forms := []*rules.Form{demoF}
	for _, id := range shipped(t).FormIDs() {
		f, _ := shipped(t).Form(id)
		forms = append(forms, f)
	}
	for _, f := range forms {
		for _, rule := range f.Rules {
			for _, tc := range rule.Tests {
				s := &checker.Submission{Form: f.ID, Unit: "u", Period: "p", Figures: tc.Figures, Previous: tc.Previous, Explanations: tc.Explanations}
				sameAsEncodingJSON(t, f.ID+" "+rule.ID+" "+tc.Name, c.Check(f, s))
			}
		}
	}
	sameAsEncodingJSON(t, "messy", c.Check(demoF, messy()))
	files, _ := filepath.Glob("testdata/fuzz/FuzzReadSubmission/*")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// go test fuzz v1 / []byte("...")
		line := strings.TrimSpace(string(b[bytes.IndexByte(b, '\n')+1:]))
		body, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if s, err := checker.DecodeSubmissionBytes([]byte(body)); err == nil {
			sameAsEncodingJSON(t, file, c.Check(demoF, s))
		}
	}
	for _, body := range []string{
		`{"form":"demo","unit":"某区","period":"2025H1","figures":{"gold":12,"金牌数":"１２","x":null,"y":true,"z":{"a":[1,"b<&>"]},"w":[]},"previous":{"gold":11.5},"explanations":{"r":"说明","s":null}}`,
		`{"form":"demo","figures":{"gold":1e999,"silver":-0.5e-3,"athletes":1e-7,"spend":1e21,"events":"1,200","\u2028":"\u2029","a\"b\\c":"\u0001\b\f\n\r\t\u001f"}}`,
		`{"form":"demo","figures":{"gold":"xx","silver":"3.5枚","athletes":-1,"spend":123456789012345678,"events":0.1}}`,
	} {
		s, err := checker.DecodeSubmissionBytes([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		sameAsEncodingJSON(t, body, c.Check(demoF, s))
	}
	odd := "\"\\/\b\f\n\r\t\x00\x1f\x7f<>&\u2028\u2029\xff\xc3(é𝄞"
	for name, r := range map[string]*checker.Result{
		"zero": {},
		"strings": {CheckID: odd, Form: odd, Unit: odd, Period: odd, Ruleset: odd, Verdict: odd,
			Violations: []checker.Violation{{Rule: odd, Name: odd, Severity: rules.SevWarning, Message: odd, Explained: true, Explanation: odd,
				Fields: map[string]any{odd: odd, "b": nil, "a": json.Number("12.50"), "c": -0.0, "d": 1e-6, "e": 9.99e-7, "f": 1e20, "g": 1e21,
					"h": []any{1.0, "x", map[string]any{"y": "<"}}, "i": 42, "j": false, "k": map[string]any{}}}},
			Skipped:    []checker.Skip{{Rule: "r", Reason: checker.SkipMissing, Missing: []string{odd, "x"}, Invalid: []string{}}, {Rule: "s"}},
			EvalErrors: []checker.EvalError{{Rule: "e", Severity: rules.SevError, Error: odd}, {Fields: map[string]any{}}}},
		"nan":          {Violations: []checker.Violation{{Fields: map[string]any{"x": math.NaN()}}}},
		"infinity":     {EvalErrors: []checker.EvalError{{Fields: map[string]any{"x": math.Inf(-1)}}}},
		"bad number":   {Violations: []checker.Violation{{Fields: map[string]any{"x": json.Number("1x")}}}},
		"empty number": {Violations: []checker.Violation{{Fields: map[string]any{"x": json.Number("")}}}},
		"numbers":      {Violations: []checker.Violation{{Fields: map[string]any{"a": json.Number("-0"), "b": json.Number("0.5e+10"), "c": json.Number("12E-3"), "d": json.Number("1.5")}}}},
	} {
		sameAsEncodingJSON(t, name, r)
	}
	for _, n := range []string{"0", "-0", "01", "1.", ".5", "1.5", "-", "1e", "1e+", "1e+5", "1E-05", "1.5x", "+1", "1ex", "--1", "0x10", "1_000", "Infinity"} {
		sameAsEncodingJSON(t, n, &checker.Result{EvalErrors: []checker.EvalError{{Fields: map[string]any{"n": json.Number(n)}}}})
	}
}
