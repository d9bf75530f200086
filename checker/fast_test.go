package checker

import (
	"math/rand/v2"
	"testing"

	"github.com/expr-lang/expr/vm"
	"github.com/figcheck/figcheck/rules"
)

// TestFastMatchesVM: every expression compiled to closures gives the same
// outcome as expr's VM (the reference) on the shipped form: the same
// boolean, or an error on both sides, for the figures of every rule test
// and for random figures including zeros and negatives.
func TestFastMatchesVM(t *testing.T) {
	rs, err := rules.LoadDir("../configs/forms")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, id := range rs.FormIDs() {
		f, _ := rs.Form(id)
		fast := 0
		for _, rule := range f.Rules {
			if rule.Cond.Fast != nil {
				fast++
			}
			frames := testFrames(t, f, rule)
			for range 200 {
				frames = append(frames, randomFrame(rng, len(f.Indicators)))
			}
			for _, fr := range frames {
				compare(t, f, rule.ID+" expr", rule.Cond.Fast, rule.Cond.Program, fr)
				if rule.WhenCond != nil {
					compare(t, f, rule.ID+" when", rule.WhenCond.Fast, rule.WhenCond.Program, fr)
				}
			}
		}
		// The closures are what makes a check fast; a form whose rules
		// mostly fall back to the VM is a regression.
		if fast < len(f.Rules)*9/10 {
			t.Errorf("form %s: only %d of %d rules compiled to closures", id, fast, len(f.Rules))
		}
	}
}

func testFrames(t *testing.T, f *rules.Form, rule *rules.Rule) []rules.Frame {
	var out []rules.Frame
	for _, tc := range rule.Tests {
		fr := rules.Frame{Cur: make([]float64, len(f.Indicators)), Prev: make([]float64, len(f.Indicators))}
		for k, v := range tc.Figures {
			ind, _ := f.Indicator(k)
			if x, err := Normalize(v, ind.Type); err == nil {
				fr.Cur[ind.Index] = x
			}
		}
		for k, v := range tc.Previous {
			ind, _ := f.Indicator(k)
			if x, err := Normalize(v, ind.Type); err == nil {
				fr.Prev[ind.Index] = x
			}
		}
		out = append(out, fr)
	}
	return out
}

func randomFrame(rng *rand.Rand, n int) rules.Frame {
	fr := rules.Frame{Cur: make([]float64, n), Prev: make([]float64, n)}
	for i := range n {
		for _, dst := range []*float64{&fr.Cur[i], &fr.Prev[i]} {
			switch rng.IntN(5) {
			case 0:
				*dst = 0
			case 1:
				*dst = -float64(rng.IntN(50))
			case 2:
				*dst = float64(rng.IntN(100)) + rng.Float64()
			default:
				*dst = float64(rng.IntN(100000))
			}
		}
	}
	return fr
}

func compare(t *testing.T, f *rules.Form, what string, fast rules.BoolFunc, p *vm.Program, fr rules.Frame) {
	t.Helper()
	if fast == nil {
		return
	}
	env := map[string]any{}
	for _, ind := range f.Indicators {
		env[ind.ID] = fr.Cur[ind.Index]
		env[ind.PrevKey] = fr.Prev[ind.Index]
	}
	var machine vm.VM
	out, err := machine.Run(p, env)
	fr.Err = nil
	got := fast(&fr)
	switch {
	case (err != nil) != (fr.Err != nil):
		t.Errorf("%s: VM error %v, closure error %v (figures %v / %v)", what, err, fr.Err, fr.Cur, fr.Prev)
	case err == nil && out != got:
		t.Errorf("%s: VM %v, closure %v", what, out, got)
	}
}
