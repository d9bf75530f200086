package checker_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

func sub(figures, previous map[string]any, explanations map[string]string) *checker.Submission {
	return &checker.Submission{Form: "demo", Unit: "某区", Period: "2025H1", Figures: figures, Previous: previous, Explanations: explanations}
}

// shuffled builds a copy of m by inserting its keys in a random order.
func shuffled[V any](rng *rand.Rand, m map[string]V) map[string]V {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	out := make(map[string]V, len(m))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func TestCheckIDDeterministic(t *testing.T) {
	f := demo(t)
	figures := map[string]any{}
	for i := range 60 {
		figures[fmt.Sprintf("k%02d", i)] = float64(i)
	}
	figures["金牌数"] = "１２"
	figures["silver"] = nil
	previous := map[string]any{"pass_rate": 78.0, "gold": "xx"}
	explanations := map[string]string{"a": "甲", "b": "乙", "c": "丙"}
	want := checker.CheckID(f, checker.SubmissionDigest(sub(figures, previous, explanations)))
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(want) {
		t.Fatalf("check id %q is not 32 hex digits", want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		s := sub(shuffled(rng, figures), shuffled(rng, previous), shuffled(rng, explanations))
		if got := checker.CheckID(f, checker.SubmissionDigest(s)); got != want {
			t.Fatalf("check id changed with map order: %s vs %s", got, want)
		}
	}
	// int and float64 are the same figure (Go callers and JSON)
	a := checker.SubmissionDigest(sub(map[string]any{"gold": 12}, nil, nil))
	b := checker.SubmissionDigest(sub(map[string]any{"gold": 12.0}, nil, nil))
	if a != b {
		t.Error("12 and 12.0 give different digests")
	}
	// a JSON number is the number, not its spelling (issue 11: the same
	// figures give the same check id whichever way they arrive); until
	// then a json.Number("3") was asserted to differ from 3.0
	for _, n := range []string{"12", "12.0", "1.2e1", "12.000"} {
		if checker.SubmissionDigest(sub(map[string]any{"gold": json.Number(n)}, nil, nil)) != b {
			t.Errorf("json.Number(%q) and 12.0 give different digests", n)
		}
	}
	// nil and empty maps are the same
	if checker.SubmissionDigest(sub(nil, nil, nil)) != checker.SubmissionDigest(sub(map[string]any{}, map[string]any{}, map[string]string{})) {
		t.Error("nil and empty maps give different digests")
	}
}

func TestCheckIDDiffers(t *testing.T) {
	f := demo(t)
	base := func() *checker.Submission {
		return sub(map[string]any{"gold": 3.0, "events": 10.0}, map[string]any{"pass_rate": 78.0}, map[string]string{"r": "说明"})
	}
	id := func(s *checker.Submission) string { return checker.CheckID(f, checker.SubmissionDigest(s)) }
	baseID := id(base())
	for _, tc := range []struct {
		name   string
		change func(s *checker.Submission)
	}{
		{"another value", func(s *checker.Submission) { s.Figures["gold"] = 4.0 }},
		{"a string for the number", func(s *checker.Submission) { s.Figures["gold"] = "3" }},
		{"null for the number", func(s *checker.Submission) { s.Figures["gold"] = nil }},
		{"a boolean", func(s *checker.Submission) { s.Figures["gold"] = true }},
		{"by name instead of id", func(s *checker.Submission) { delete(s.Figures, "gold"); s.Figures["金牌数"] = 3.0 }},
		{"one more figure", func(s *checker.Submission) { s.Figures["silver"] = 0.0 }},
		{"one figure less", func(s *checker.Submission) { delete(s.Figures, "events") }},
		{"the figure as previous", func(s *checker.Submission) { s.Previous["gold"] = 3.0; delete(s.Figures, "gold") }},
		{"another previous value", func(s *checker.Submission) { s.Previous["pass_rate"] = 77.0 }},
		{"another explanation", func(s *checker.Submission) { s.Explanations["r"] = "另一说明" }},
		{"no explanation", func(s *checker.Submission) { s.Explanations = nil }},
		{"another unit", func(s *checker.Submission) { s.Unit = "某县" }},
		{"another period", func(s *checker.Submission) { s.Period = "2025H2" }},
		{"unit and period run together", func(s *checker.Submission) { s.Unit, s.Period = "某区2025", "H1" }},
		{"another form", func(s *checker.Submission) { s.Form = "other" }},
		{"an object", func(s *checker.Submission) { s.Figures["gold"] = map[string]any{"v": 3.0} }},
		{"a json.Number of another value", func(s *checker.Submission) { s.Figures["gold"] = json.Number("3.5") }},
		{"a json.Number too large for a float64", func(s *checker.Submission) { s.Figures["gold"] = json.Number("1e999") }},
	} {
		s := base()
		tc.change(s)
		if id(s) == baseID {
			t.Errorf("%s: same check id", tc.name)
		}
	}

	// The same submission against another version of the form gets
	// another id; the same version loaded again, the same id.
	data, err := os.ReadFile("testdata/form/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	load := func(src string) *rules.Form {
		rs, err := rules.LoadFS(fstest.MapFS{"demo.yaml": {Data: []byte(src)}}, ".", "forms")
		if err != nil {
			t.Fatal(err)
		}
		return rs.Forms["demo"]
	}
	d := checker.SubmissionDigest(base())
	same := load(string(data))
	if checker.CheckID(same, d) != baseID {
		t.Error("the same form version, loaded again, gives another id")
	}
	changed := load(strings.Replace(string(data), "max: 10000", "max: 20000", 1))
	if changed.Digest == f.Digest || checker.CheckID(changed, d) == baseID {
		t.Error("another form version gives the same id")
	}

	// Check stamps the id it computes; CheckWithID the one it is given.
	var c checker.Checker
	if r := c.Check(f, base()); r.CheckID != baseID {
		t.Errorf("Check id %s, want %s", r.CheckID, baseID)
	}
	if r := c.CheckWithID(f, base(), "given"); r.CheckID != "given" {
		t.Errorf("CheckWithID id %s", r.CheckID)
	}
}

// TestSubmissionDigestFor: the digest that walks the form's ids in order
// is the digest that sorts the keys, whether the figures are keyed by id,
// by Chinese name, by keys the form does not know, or a mix.
func TestSubmissionDigestFor(t *testing.T) {
	f := shipped(t).Forms["edu_sports_halfyear"]
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		figs, prev := map[string]any{}, map[string]any{}
		for _, ind := range f.Indicators {
			key := ind.ID
			switch rng.IntN(10) {
			case 0:
				continue
			case 1:
				key = ind.Name
			}
			figs[key] = float64(rng.IntN(1000))
			if i%2 == 0 {
				prev[ind.ID] = "12"
			}
		}
		if i%7 == 0 {
			figs["not_an_indicator"] = 1.0
		}
		if i%5 == 0 {
			clear(figs) // no figures at all
		}
		s := sub(figs, prev, map[string]string{"r": "x"})
		if got, want := checker.SubmissionDigestFor(f, s), checker.SubmissionDigest(s); got != want {
			t.Fatalf("submission %d: SubmissionDigestFor %x, SubmissionDigest %x", i, got, want)
		}
	}
}
