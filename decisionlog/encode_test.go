package decisionlog

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

// The hand-written encoder makes the document encoding/json makes.
func TestAppendEntryMatchesEncodingJSON(t *testing.T) {
	entries := []Entry{
		{ID: "a", Time: time.Date(2026, 7, 1, 8, 0, 0, 123, time.UTC), Form: "f", Violated: []Violation{}},
		{
			ID: "b", CheckID: "c", Time: time.Date(2026, 7, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
			Source: "batch", Form: "f", Unit: "东城区\"<&>\u2028\x01\n", Period: "2026H1", Ruleset: "r", Submission: "s",
			Verdict: "fail", Violated: []Violation{{Rule: "r1", Severity: "error", Fields: []string{"a", "b"}}, {Rule: "r2", Severity: "warning", Explained: true}},
			Skipped: []string{"s1", "s2"}, Actor: "dc", Role: "unit:东城区", Cached: true,
			Omitted: &Omitted{Keys: 3, Names: []string{"a", "b"}, Digest: "d", Values: 1},
			Figures: map[string]any{
				"int": 12.0, "frac": 0.1, "neg": -3.5, "big": 1e21, "small": 1e-7, "tiny": 1.5e-300, "zero": 0.0,
				"str": "95%", "xx": "xx", "bad\xffutf8": "\xff", "nil": nil, "bool": true,
				"obj": map[string]any{"k": []any{1.0, "x"}}, "nan": math.NaN(),
				"num": json.Number("-12.5e+3"), "num0": json.Number("0"),
			},
		},
	}
	for _, e := range entries {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&e); err != nil {
			// NaN: encoding/json refuses it; ours writes null.
			delete(e.Figures, "nan")
			want.Reset()
			if err := enc.Encode(&e); err != nil {
				t.Fatal(err)
			}
		}
		got := appendEntry(nil, &e)
		// The same document; the figures' keys may come in another order.
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("appendEntry made invalid JSON: %v\n%s", err, got)
		}
		_ = json.Unmarshal(want.Bytes(), &w)
		if !reflect.DeepEqual(g, w) || len(got)+1 != want.Len() {
			t.Fatalf("appendEntry:\n got %s\nwant %s", got, want.String())
		}
	}
}

func BenchmarkEncodeEntry(b *testing.B) {
	figs := map[string]any{}
	for i := range 100 {
		figs[string(rune('a'+i%26))+string(rune('a'+i/26))+"_indicator"] = float64(i) * 1.5
	}
	e := Entry{ID: NewID(), Time: time.Now(), Form: "f", Violated: []Violation{}, Figures: figs}
	b.Run("appendEntry", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = appendEntry(buf[:0], &e)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(&e)
		}
	})
}

// TestInvalidNumberNotRaw: an invalid json.Number is written as
// encoding/json would refuse it: not raw.
func TestInvalidNumberNotRaw(t *testing.T) {
	if got := string(appendValue(nil, json.Number("1; drop"))); got != "null" {
		t.Errorf("invalid json.Number written as %s", got)
	}
}
