package api

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// TestEncodeEntryMatchesDecode: what a miss keeps from encoding is exactly
// what a later hit decodes from the stored bytes.
func TestEncodeEntryMatchesDecode(t *testing.T) {
	for _, r := range []*checker.Result{
		{Verdict: checker.Pass},
		{Verdict: checker.Fail, Violations: []checker.Violation{
			{Rule: "builtin.placeholder", Severity: rules.SevError},
			{Rule: "edu.tier1_le_benke", Severity: rules.SevError},
			{Rule: "sport.w", Severity: rules.SevWarning, Explained: true},
			{Rule: "party.i", Severity: rules.SevInfo},
		}},
	} {
		entry, got := encodeEntry(r)
		want, err := decodeEntry(entry)
		if err != nil {
			t.Fatal(err)
		}
		if got.verdict != want.verdict || !reflect.DeepEqual(got.violations, want.violations) || !bytes.Equal(got.body, want.body) {
			t.Errorf("encode kept %+v, decode read %+v", got, want)
		}
		if len(got.violations) != len(r.Violations)-countExplained(r) {
			t.Errorf("kept %d violations, want the %d unexplained", len(got.violations), len(r.Violations)-countExplained(r))
		}
	}
}

func countExplained(r *checker.Result) int {
	n := 0
	for _, v := range r.Violations {
		if v.Explained {
			n++
		}
	}
	return n
}
