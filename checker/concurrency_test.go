package checker_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/rules/rulefmt"
)

type job struct {
	form *rules.Form
	sub  *checker.Submission
}

func encode(t testing.TB, r *checker.Result) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// messy is a submission that exercises every builtin at once, several of
// each, so that nothing in the result may depend on map order.
func messy() *checker.Submission {
	return &checker.Submission{
		Form: "demo", Unit: "某区", Period: "2025H1",
		Figures: map[string]any{
			"gold": 3.0, "金牌数": 3.0, "silver": "xx", "athletes": "**", "spend": 20000.0, "pass_rate": "１０１％",
			"gld": 1.0, "evnts": 2.0, "zzz": 3.0, "aaa": 4.0, "运动员": 5.0, "银牌": 6.0,
		},
		Previous: map[string]any{"pass_rate": 78.0, "本科上线率": 77.0, "silver": "××", "prev_unknown": 1.0},
		Explanations: map[string]string{
			"z.rule": "1", "a.rule": "2", "m.rule": "3", "sport.athletes_ge_events": "说明", "b.rule": "4",
		},
	}
}

func TestCheckIsDeterministic(t *testing.T) {
	f := demo(t)
	var c checker.Checker
	want := encode(t, c.Check(f, messy()))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 100 {
		s := messy()
		s.Figures, s.Previous, s.Explanations = shuffled(rng, s.Figures), shuffled(rng, s.Previous), shuffled(rng, s.Explanations)
		if got := encode(t, c.Check(f, s)); got != want {
			t.Fatalf("run %d differs:\n%s\nwant:\n%s", i, got, want)
		}
	}
	r := c.Check(f, messy())
	var order []string
	for _, v := range r.Violations {
		if v.Rule == checker.BuiltinUnknownExplanation || v.Rule == checker.BuiltinUnknownField {
			order = append(order, v.Rule+" "+fmt.Sprint(v.Message))
		}
	}
	if len(order) != 11 {
		t.Errorf("%d unknown fields and explanations, want 11: %v", len(order), order)
	}
}

// TestConcurrentChecks: one Checker used by many goroutines at once, on
// forms of different sizes and interleaved with rule tests, gives each
// check the result it gets alone. Run with -race.
func TestConcurrentChecks(t *testing.T) {
	f := demo(t)
	big := bigForm(t, 150)
	jobs := []job{
		{f, &checker.Submission{Form: "demo", Figures: valid, Previous: validPrevious}},
		{f, messy()},
		{f, &checker.Submission{Form: "demo", Figures: with(valid, map[string]any{"athletes": 0.0, "events": 0.0, "gold": 0.0})}},
		{f, &checker.Submission{Form: "demo", Figures: with(valid, map[string]any{"athletes": 5.0, "spend": 200.0}),
			Explanations: map[string]string{"sport.athletes_ge_events": "说明"}}},
		{big, bigSubmission(150, 0)},
		{big, bigSubmission(150, 7)},
		{big, &checker.Submission{Form: big.ID}},
	}
	want := make([]string, len(jobs))
	for i, j := range jobs {
		var fresh checker.Checker
		want[i] = encode(t, fresh.Check(j.form, j.sub))
	}
	wantTests := fmt.Sprint(new(checker.Checker).RunTests(f))

	var shared checker.Checker
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				k := (g*7 + i) % len(jobs)
				if got := encode(t, shared.Check(jobs[k].form, jobs[k].sub)); got != want[k] {
					errs <- fmt.Sprintf("goroutine %d, job %d: got\n%s\nwant\n%s", g, k, got, want[k])
					return
				}
				if i%10 == g%10 {
					if got := fmt.Sprint(shared.RunTests(f)); got != wantTests {
						errs <- fmt.Sprintf("goroutine %d: RunTests differs", g)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// bigForm generates a form of n required integer figures x0…x(n-1) and n-1
// rules x(i) <= x(i+1), of mixed severities, so that pooled state sized for
// the demo form has to grow.
func bigForm(t testing.TB, n int) *rules.Form {
	t.Helper()
	var src strings.Builder
	src.WriteString("form: big\nindicators:\n")
	for i := range n {
		fmt.Fprintf(&src, "  - {id: x%d, name: 指标%d, type: integer, required: true, min: 0}\n", i, i)
	}
	src.WriteString("rules:\n")
	sev := []string{"error", "warning", "info"}
	for i := range n - 1 {
		fmt.Fprintf(&src, "  - {id: r.x%d, name: 递增, severity: %s, expr: 'x%d <= 指标%d', message: '{{x%d}}>{{x%d}}'}\n", i, sev[i%3], i, i+1, i, i+1)
	}
	file, err := rulefmt.Parse("big.yaml", []byte(src.String()))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Compile([]*rulefmt.File{file})
	if err != nil {
		t.Fatal(err)
	}
	return rs.Forms["big"]
}

// bigSubmission gives bigForm increasing figures, except that every
// step-th one drops (none when step is 0).
func bigSubmission(n, step int) *checker.Submission {
	figs := map[string]any{}
	for i := range n {
		v := float64(i)
		if step > 0 && i%step == 0 {
			v = 0
		}
		figs[fmt.Sprintf("x%d", i)] = v
	}
	return &checker.Submission{Form: "big", Figures: figs}
}
