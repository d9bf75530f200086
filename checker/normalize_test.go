package checker_test

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

func TestNormalize(t *testing.T) {
	const (
		I = rules.Integer
		N = rules.Number
		P = rules.Percent
	)
	for _, tc := range []struct {
		in   any
		typ  rules.Type
		want float64
		err  error
	}{
		// numbers as JSON and Go give them
		{12.0, I, 12, nil},
		{12, I, 12, nil},
		{int64(-7), N, -7, nil},
		{12.5, N, 12.5, nil},
		{12.5, I, 0, checker.ErrFraction},
		{json.Number("1200"), I, 1200, nil},
		{json.Number("1e3"), I, 1000, nil},
		{json.Number("1e999"), N, 0, checker.ErrNotNumber},
		{json.Number("NaN"), N, 0, checker.ErrNotNumber},
		{math.NaN(), N, 0, checker.ErrNotNumber},
		{math.Inf(-1), N, 0, checker.ErrNotNumber},
		// strings as typed into a form
		{"123", I, 123, nil},
		{"１２３", I, 123, nil},
		{"１，２００", I, 1200, nil},
		{"1,200", I, 1200, nil},
		{"1，200", I, 1200, nil},
		{"12,345,678", I, 12345678, nil},
		{"-1,200.5", N, -1200.5, nil},
		{" 12 ", I, 12, nil},
		{"\u300012\u3000", I, 12, nil}, // ideographic spaces
		{"\t12\n", I, 12, nil},
		{"12.0", I, 12, nil},
		{"12.5", I, 0, checker.ErrFraction},
		{"12.5", N, 12.5, nil},
		{"１２．５", N, 12.5, nil},
		{"−3", N, -3, nil}, // U+2212 minus sign
		{"－3", N, -3, nil}, // full-width hyphen-minus
		{"+3", N, 3, nil},
		{".5", N, 0.5, nil},
		{"1e3", I, 1000, nil},
		{"85%", P, 85, nil},
		{"85 %", P, 85, nil},
		{"８５％", P, 85, nil},
		{"85.5%", P, 85.5, nil},
		{"85", P, 85, nil},
		{"85%", N, 0, checker.ErrNotNumber}, // % only on percent figures
		{"85%", I, 0, checker.ErrNotNumber},
		{"85%%", P, 0, checker.ErrNotNumber},
		// placeholders left from the template
		{"xx", I, 0, checker.ErrPlaceholder},
		{"XX", N, 0, checker.ErrPlaceholder},
		{"××", I, 0, checker.ErrPlaceholder},
		{"**", P, 0, checker.ErrPlaceholder},
		{"＊＊", P, 0, checker.ErrPlaceholder},
		{"？", I, 0, checker.ErrPlaceholder},
		{"___", I, 0, checker.ErrPlaceholder},
		{"", I, 0, checker.ErrPlaceholder},
		{"   ", N, 0, checker.ErrPlaceholder},
		{"x x", N, 0, checker.ErrPlaceholder},
		{"xx%", P, 0, checker.ErrPlaceholder},
		// not numbers
		{"NaN", N, 0, checker.ErrNotNumber},
		{"nan", N, 0, checker.ErrNotNumber},
		{"Inf", N, 0, checker.ErrNotNumber},
		{"-Infinity", N, 0, checker.ErrNotNumber},
		{"1e999", N, 0, checker.ErrNotNumber},
		{"-1e999", N, 0, checker.ErrNotNumber},
		{"0x10", I, 0, checker.ErrNotNumber},
		{"1_000", I, 0, checker.ErrNotNumber},
		{"1,2", I, 0, checker.ErrNotNumber},
		{"1,2000", I, 0, checker.ErrNotNumber},
		{",200", I, 0, checker.ErrNotNumber},
		{"1 200", I, 0, checker.ErrNotNumber},
		{"12人", I, 0, checker.ErrNotNumber},
		{"十二", I, 0, checker.ErrNotNumber},
		{"x1", I, 0, checker.ErrNotNumber},
		{"-", N, 0, checker.ErrNotNumber},
		{"1e", N, 0, checker.ErrNotNumber},
		{true, I, 0, checker.ErrNotNumber},
		{map[string]any{"v": 1.0}, I, 0, checker.ErrNotNumber},
		{[]any{1.0}, I, 0, checker.ErrNotNumber},
		{nil, I, 0, checker.ErrNotNumber},
	} {
		got, err := checker.Normalize(tc.in, tc.typ)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) || got != tc.want {
			t.Errorf("Normalize(%#v, %s) = %v, %v; want %v, %v", tc.in, tc.typ, got, err, tc.want, tc.err)
		}
	}
}

var plainNumber = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,6})?$`)

// FuzzNormalize: Normalize never panics and never returns NaN, an infinity
// or, for an integer figure, a fraction; a plain decimal string means what
// strconv says it means, and a float64 figure is returned unchanged.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"0", "12", "-3", "12.5", "１２３", "1,200", "1，200", "85%", "８５％", " 12 ", "xx", "××", "**", "",
		"NaN", "Inf", "1e999", "1e-999", "0x1p3", "1_000", "1,2", "9007199254740993", "-0", "−3", ".", "+.e",
	} {
		for typ := rules.Integer; typ <= rules.Percent; typ++ {
			f.Add(s, 0.0, uint8(typ))
		}
	}
	f.Add("", 12.5, uint8(rules.Integer))
	f.Add("", math.MaxFloat64, uint8(rules.Number))
	f.Add("", math.SmallestNonzeroFloat64, uint8(rules.Percent))
	f.Fuzz(func(t *testing.T, s string, x float64, typByte uint8) {
		typ := rules.Type(typByte%3) + rules.Integer
		for _, in := range []any{s, x, json.Number(s)} {
			v, err := checker.Normalize(in, typ)
			if err != nil {
				if v != 0 {
					t.Errorf("Normalize(%#v, %s) = %v with error %v", in, typ, v, err)
				}
				if !errors.Is(err, checker.ErrNotNumber) && !errors.Is(err, checker.ErrPlaceholder) && !errors.Is(err, checker.ErrFraction) {
					t.Errorf("Normalize(%#v, %s): unexpected error %v", in, typ, err)
				}
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("Normalize(%#v, %s) = %v", in, typ, v)
			}
			if typ == rules.Integer && v != math.Trunc(v) {
				t.Errorf("Normalize(%#v, integer) = %v, a fraction", in, v)
			}
		}

		// a float64 comes back as it is, unless it cannot be a figure
		v, err := checker.Normalize(x, typ)
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			if !errors.Is(err, checker.ErrNotNumber) {
				t.Errorf("Normalize(%v) = %v, %v", x, v, err)
			}
		case typ == rules.Integer && x != math.Trunc(x):
			if !errors.Is(err, checker.ErrFraction) {
				t.Errorf("Normalize(%v, integer) = %v, %v", x, v, err)
			}
		default:
			if err != nil || v != x {
				t.Errorf("Normalize(%v, %s) = %v, %v", x, typ, v, err)
			}
		}

		// a plain decimal string round-trips through strconv
		if plainNumber.MatchString(s) {
			want, perr := strconv.ParseFloat(s, 64)
			if perr != nil {
				t.Fatalf("ParseFloat(%q): %v", s, perr)
			}
			v, err := checker.Normalize(s, typ)
			switch {
			case typ == rules.Integer && want != math.Trunc(want):
				if !errors.Is(err, checker.ErrFraction) {
					t.Errorf("Normalize(%q, integer) = %v, %v; want ErrFraction", s, v, err)
				}
			case err != nil || v != want:
				t.Errorf("Normalize(%q, %s) = %v, %v; want %v", s, typ, v, err, want)
			}
			if typ == rules.Percent {
				if v, err := checker.Normalize(s+"%", typ); err != nil || v != want {
					t.Errorf("Normalize(%q, percent) = %v, %v; want %v", s+"%", v, err, want)
				}
			}
			// and so does the number printed back
			printed := strconv.FormatFloat(want, 'f', -1, 64)
			if v, err := checker.Normalize(printed, rules.Number); err != nil || v != want {
				t.Errorf("Normalize(%q, number) = %v, %v; want %v", printed, v, err, want)
			}
		}
	})
}

func TestNormalizeFor(t *testing.T) {
	ind := func(unit string, typ rules.Type) *rules.Indicator {
		return &rules.Indicator{Name: "x", Unit: unit, Type: typ}
	}
	tests := []struct {
		v         any
		ind       *rules.Indicator
		want      float64
		unitError string // the unit named as given, when a *UnitError
		err       error
	}{
		{"24次", ind("次", rules.Integer), 24, "", nil},
		{"37.5公里", ind("公里", rules.Number), 37.5, "", nil},
		{"3,850万元", ind("万元", rules.Number), 3850, "", nil},
		{" 3850 万元 ", ind("万元", rules.Number), 3850, "", nil},
		{"26名", ind("人", rules.Integer), 26, "", nil},
		{"156场", ind("场次", rules.Integer), 156, "", nil},
		{"-0.7个百分点", ind("个百分点", rules.Number), -0.7, "", nil},
		{"95%", ind("%", rules.Percent), 95, "", nil},
		{"3850元", ind("万元", rules.Number), 0, "元", nil},
		{"12人次", ind("人", rules.Integer), 0, "人次", nil},
		{"xx所", ind("个", rules.Integer), 0, "所", nil},
		{"xx所", ind("所", rules.Integer), 0, "", checker.ErrPlaceholder},
		{"很多次", ind("次", rules.Integer), 0, "", checker.ErrNotNumber},
		{"次", ind("次", rules.Integer), 0, "", checker.ErrNotNumber},
		{"24", ind("次", rules.Integer), 24, "", nil},
		{24.0, ind("次", rules.Integer), 24, "", nil},
	}
	for _, tt := range tests {
		got, err := checker.NormalizeFor(tt.v, tt.ind)
		var ue *checker.UnitError
		switch {
		case tt.unitError != "":
			if !errors.As(err, &ue) || ue.Given != tt.unitError || ue.Want != tt.ind.Unit {
				t.Errorf("NormalizeFor(%q, %s) = %v, %v; want a unit error naming %s and %s", tt.v, tt.ind.Unit, got, err, tt.unitError, tt.ind.Unit)
			}
		case tt.err != nil:
			if !errors.Is(err, tt.err) {
				t.Errorf("NormalizeFor(%q) error %v, want %v", tt.v, err, tt.err)
			}
		case err != nil || got != tt.want:
			t.Errorf("NormalizeFor(%q, %s) = %v, %v; want %v", tt.v, tt.ind.Unit, got, err, tt.want)
		}
	}
}
