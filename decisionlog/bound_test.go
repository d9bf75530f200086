package decisionlog

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

func TestBound(t *testing.T) {
	known := func(k string) bool { return k == "gold" || k == "events" }
	figures := map[string]any{"gold": 11.0, "events": strings.Repeat("9", 1000)}
	for i := range 100 {
		figures[fmt.Sprintf("junk%03d", i)] = i
	}
	violated := make([]Violation, 0, 40)
	for i := range 40 {
		violated = append(violated, Violation{Rule: "builtin.unknown_field", Severity: "error", Fields: []string{fmt.Sprintf("junk%03d", i)}})
	}
	violated = append(violated, Violation{Rule: "r", Severity: "error", Fields: strings.Split(strings.Repeat("f,", 99)+"f", ",")})
	orig := maps.Clone(figures)
	e := Entry{Unit: strings.Repeat("区", 200), Figures: figures, Violated: violated, Known: known}
	e.bound(DefaultLimits)
	if len(e.Figures) != 2 || e.Figures["gold"] != 11.0 {
		t.Fatalf("figures kept: %v", e.Figures)
	}
	if v, _ := e.Figures["events"].(string); !strings.Contains(v, "1000 bytes, sha256:") {
		t.Fatalf("oversized value: %v", e.Figures["events"])
	}
	if !strings.Contains(e.Unit, "600 bytes") || len(e.Unit) > 200 {
		t.Fatalf("unit: %q", e.Unit)
	}
	o := e.Omitted
	if o == nil || o.Keys != 100 || len(o.Names) != omittedNames || o.Names[0] != "junk000" || len(o.Digest) != 64 || o.Values != 2 ||
		o.Violations != 40-DefaultLimits.ViolationsPerRule || o.Fields != 100-DefaultLimits.FieldsPerViolation {
		t.Fatalf("omitted %+v", o)
	}
	if len(e.Violated) != DefaultLimits.ViolationsPerRule+1 || len(e.Violated[16].Fields) != DefaultLimits.FieldsPerViolation {
		t.Fatalf("violations kept: %d", len(e.Violated))
	}
	if !maps.Equal(figures, orig) || len(violated[40].Fields) != 100 {
		t.Fatal("bound changed the caller's map or slices")
	}
	// Another junk value: another digest, and History sees the change.
	figures2 := maps.Clone(orig)
	figures2["junk050"] = "changed"
	e2 := Entry{Figures: figures2, Known: known}
	e2.bound(DefaultLimits)
	if e2.Omitted.Digest == o.Digest {
		t.Fatal("the digest does not cover the values")
	}
	if c, ok := omittedChange(o, e2.Omitted); !ok || c.Kind != "changed" {
		t.Fatalf("omitted change %v %v", c, ok)
	}
	// A small entry is left alone.
	small := Entry{Figures: map[string]any{"gold": 1.0, "typo": 2.0}, Violated: violated[:1], Known: known}
	small.bound(DefaultLimits)
	if small.Omitted != nil || len(small.Figures) != 2 {
		t.Fatalf("small entry changed: %+v", small)
	}
}
