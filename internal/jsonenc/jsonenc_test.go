package jsonenc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"
)

// marshal is encoding/json's encoding of v with HTML escaping off.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// same fails the test unless e holds what encoding/json writes of v, or
// both refuse it.
func same(t *testing.T, v any, e *Encoder) {
	t.Helper()
	want, err := marshal(v)
	if (err != nil) != (e.Err != nil) {
		t.Fatalf("%#v: encoding/json error %v, Encoder error %v", v, err, e.Err)
	}
	if err != nil {
		if err.Error() != e.Err.Error() {
			t.Errorf("%#v: error %q, want %q", v, e.Err, err)
		}
		return
	}
	if !bytes.Equal(e.B, want) {
		t.Errorf("%#v: %s, want %s", v, e.B, want)
	}
}

func TestEncoder(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", `"quoted" \back\`, "<b>&amp;</b>", "\b\f\n\r\t\x00\x1f\x7f", "行\u2028段\u2029落",
		"bad \xff utf-8 \xe4\xb8", "\U0001F600", "surrogate \xed\xa0\x80 overlong \xe0\x80\x80 \xe0\xa0\x80 \xef\xbf\xbf \xe1\x80",
		"cut \xe4\xb8", "\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa—…↔", 0.0, math.Copysign(0, -1), 1.0, -2.5, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, -1e21,
		123456789012345678.0, 1 << 53, 1<<53 - 1, -(1 << 53) - 2, 1e15, -12345, 5e-324, math.MaxFloat64, 0.1 + 0.2, 1e-10, 1.5e-300, math.NaN(), math.Inf(1), math.Inf(-1),
		json.Number("12.50"), json.Number(""), json.Number("1e5"), json.Number("01"), json.Number("1; drop"), json.Number("-"),
		map[string]any{"b": 1.0, "a": "x", "c": nil, "é": []any{1.0, "y", map[string]any{"z": true, "y": json.Number("3")}}},
		map[string]any{}, []any{}, []any(nil), map[string]any(nil), map[string]any{"n": math.NaN()},
		42, []string{"a"}, struct{ A int }{1},
	}
	for _, v := range values {
		var e Encoder
		e.Value(v)
		same(t, v, &e)
	}
	for _, xs := range [][]float64{nil, {}, {1, 2.5, 1e-9}, {math.Inf(1)}} {
		var e Encoder
		e.Floats(xs)
		same(t, xs, &e)
	}
	for _, ss := range [][]string{nil, {}, {"a", "<\n>"}} {
		var e Encoder
		e.Strings(ss)
		same(t, ss, &e)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "abc", "\x00\"\\<>&\u2028\u2029\xff", "单位\t名称", "\xed\xa0\x80\xe0\x80\x80\xef\xbf\xbf—\xe4\xb8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var e Encoder
		e.String(s)
		same(t, s, &e)
		// The same text rendered by Text, twice with one encoder (the
		// second reusing its buffer), cut in two where it may.
		e.B = e.B[:0]
		half := len(s) / 2
		for range 2 {
			e.Text(func(b []byte) []byte { return append(append(b, s[:half]...), s[half:]...) })
		}
		var want Encoder
		want.String(s)
		want.String(s)
		if !bytes.Equal(e.B, want.B) {
			t.Errorf("Text %q: %s, want %s", s, e.B, want.B)
		}
	})
}

func FuzzFloat(f *testing.F) {
	wholes := []int64{0, -1, 1 << 53, 1<<53 + 1, -1 << 63, 1e15, -3967, 1, 999999, 1<<50 + 1}
	for i, x := range []float64{0, math.Copysign(0, -1), 1, -1e-7, 1e21, 123.456, 1 << 53, -(1 << 53) - 2, math.NaN(), math.Inf(-1), 5e-324,
		1e-300, 0.1 + 0.2, 1e-6, 1125899906.8, 4.005951126373475e-11} {
		f.Add(math.Float64bits(x), wholes[i%len(wholes)], uint8(i))
	}
	f.Fuzz(func(t *testing.T, bits uint64, i int64, k uint8) {
		// Whole numbers and those with few decimals take shorter ways.
		for _, x := range []float64{math.Float64frombits(bits), float64(i), float64(i) / pow10[int(k)%len(pow10)],
			float64(i%(1<<51)) / pow10[int(k)%len(pow10)]} {
			var e Encoder
			e.Float(x)
			same(t, x, &e)
			if got, ok := AppendDecimal(nil, x); ok && string(got) != strconv.FormatFloat(x, 'f', -1, 64) {
				t.Errorf("AppendDecimal(%v): %s, want %s", x, got, strconv.FormatFloat(x, 'f', -1, 64))
			}
			want, err := marshal(x)
			if err != nil {
				continue
			}
			if got := AppendFloat(nil, x); !bytes.Equal(got, want) {
				t.Errorf("AppendFloat(%v): %s, want %s", x, got, want)
			}
			// Again, after a number the encoder keeps.
			e.Reset()
			e.Float(1e-300)
			e.Float(x)
			e.Float(x)
			if want := fmt.Appendf(nil, "1e-300%s%s", want, want); !bytes.Equal(e.B, want) {
				t.Errorf("%v after 1e-300: %s, want %s", x, e.B, want)
			}
		}
	})
}

// BenchmarkFloat encodes the numbers of a case file: whole figures,
// statistics of two decimals, p-values.
func BenchmarkFloat(b *testing.B) {
	xs := []float64{14, 10, 1029.43, 1e-300, -10.5, 6.43, 1e-300, 4.285683673688045e-300, 15108.6, -39.67, 4.005951126373475e-11, 300}
	var e Encoder
	for b.Loop() {
		e.Reset()
		for _, x := range xs {
			e.Float(x)
		}
	}
}

// BenchmarkString encodes a finding's reason as the reports have them:
// mostly Chinese, with ASCII figures.
func BenchmarkString(b *testing.B) {
	s := "与同期规模相近单位相比,营业额=18915(同类中位数1607,约为11.8倍),稳健z=12.5,超过阈值5,p=3.2e-12"
	var e Encoder
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		e.Reset()
		e.String(s)
	}
}

func TestValidNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "12", "-12.5", "1e3", "1E+3", "0.5e-7", "123456789012345678901234567890"} {
		if !ValidNumber(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "abc", "1 ", "+1", "NaN", "0x10"} {
		if ValidNumber(s) {
			t.Errorf("%q accepted", s)
		}
	}
}
