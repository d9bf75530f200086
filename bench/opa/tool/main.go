// Command tool supports the figcheck-versus-OPA benchmark (bench/opa/run):
//
//	tool rego [-rules DIR] [-form ID]              the form's rules as Rego, on stdout
//	tool submissions [-n N] [-seed S] -out DIR     valid.jsonl, failing.jsonl, mixed.jsonl
//	tool compare -figcheck URL -opa URL FILE...    same violated rule ids on every line?
//	tool report WRK.jsonl CPU.jsonl                 the markdown table of a run
//
// Submissions are derived from testdata/base.json, a complete submission
// that passes every rule: valid ones move figures a little and are kept
// only when figcheck finds nothing; failing ones break one to three figures
// and are kept only when figcheck finds a violation.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/rules"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tool rego|submissions|compare|report [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "rego":
		err = runRego(os.Args[2:])
	case "submissions":
		err = runSubmissions(os.Args[2:])
	case "compare":
		err = runCompare(os.Args[2:])
	case "report":
		err = runReport(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tool:", err)
		os.Exit(1)
	}
}

func loadForm(dir, id string) (*rules.Form, error) {
	rs, err := configs.LoadRules(dir)
	if err != nil {
		return nil, err
	}
	f, ok := rs.Form(id)
	if !ok {
		return nil, fmt.Errorf("no form %q in %s", id, dir)
	}
	return f, nil
}

func runRego(args []string) error {
	fs := flag.NewFlagSet("rego", flag.ExitOnError)
	dir := fs.String("rules", configs.DefaultRulesDir, "rules directory")
	form := fs.String("form", "edu_sports_halfyear", "form id")
	_ = fs.Parse(args)
	f, err := loadForm(*dir, *form)
	if err != nil {
		return err
	}
	src, err := Rego(f)
	if err != nil {
		return err
	}
	_, err = os.Stdout.WriteString(src)
	return err
}

func runSubmissions(args []string) error {
	fs := flag.NewFlagSet("submissions", flag.ExitOnError)
	dir := fs.String("rules", configs.DefaultRulesDir, "rules directory")
	base := fs.String("base", "bench/opa/testdata/base.json", "a complete submission that passes")
	n := fs.Int("n", 200, "submissions of each kind")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "output directory")
	_ = fs.Parse(args)
	if *out == "" {
		return errors.New("-out is required")
	}
	data, err := os.ReadFile(*base)
	if err != nil {
		return err
	}
	var sub checker.Submission
	if err := json.Unmarshal(data, &sub); err != nil {
		return fmt.Errorf("%s: %w", *base, err)
	}
	f, err := loadForm(*dir, sub.Form)
	if err != nil {
		return err
	}
	valid, failing, err := Generate(f, &sub, *n, rand.New(rand.NewPCG(*seed, 7)))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var mixed []*checker.Submission
	for i := range valid {
		mixed = append(mixed, valid[i], failing[i])
	}
	for name, list := range map[string][]*checker.Submission{"valid": valid, "failing": failing, "mixed": mixed} {
		if err := writeLines(filepath.Join(*out, name+".jsonl"), list); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "wrote %d valid and %d failing submissions to %s\n", len(valid), len(failing), *out)
	return nil
}

func writeLines(path string, subs []*checker.Submission) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, s := range subs {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// Generate derives n valid and n failing submissions from base, which
// must pass. Figures stay JSON numbers keyed by indicator id.
func Generate(f *rules.Form, base *checker.Submission, n int, rng *rand.Rand) (valid, failing []*checker.Submission, err error) {
	var c checker.Checker
	if r := c.Check(f, base); len(r.Violations) > 0 {
		return nil, nil, fmt.Errorf("the base submission has %d violations (first %s)", len(r.Violations), r.Violations[0].Rule)
	}
	ids := make([]string, 0, len(base.Figures))
	for k := range base.Figures {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	clone := func(i int) *checker.Submission {
		s := &checker.Submission{Form: base.Form, Unit: fmt.Sprintf("unit-%04d", i), Period: base.Period,
			Figures: map[string]any{}, Previous: map[string]any{}}
		for k, v := range base.Figures {
			s.Figures[k] = v
		}
		for k, v := range base.Previous {
			s.Previous[k] = v
		}
		return s
	}
	value := func(id string, x float64) float64 {
		ind, _ := f.Indicator(id)
		if ind.Type == rules.Integer {
			return math.Round(x)
		}
		return math.Round(x*100) / 100
	}
	for i := 0; len(valid) < n && i < 200*n; i++ {
		s := clone(i)
		for range 1 + rng.IntN(4) {
			id := ids[rng.IntN(len(ids))]
			x, _ := s.Figures[id].(float64)
			s.Figures[id] = value(id, x*(0.9+0.2*rng.Float64()))
		}
		if len(c.Check(f, s).Violations) == 0 {
			valid = append(valid, s)
		}
	}
	for i := 0; len(failing) < n && i < 200*n; i++ {
		s := clone(n + i)
		for range 1 + rng.IntN(3) {
			id := ids[rng.IntN(len(ids))]
			x, _ := s.Figures[id].(float64)
			switch rng.IntN(6) {
			case 0:
				s.Figures[id] = value(id, x*10+1)
			case 1:
				s.Figures[id] = value(id, x/10)
			case 2:
				s.Figures[id] = 0.0
			case 3:
				delete(s.Figures, id) // required figures, and rules that then skip
			case 4:
				s.Figures[id] = x + 0.5 // a fraction where integers are due
			default:
				s.Figures[id] = -x - 1
			}
		}
		if len(c.Check(f, s).Violations) > 0 {
			failing = append(failing, s)
		}
	}
	if len(valid) < n || len(failing) < n {
		return nil, nil, fmt.Errorf("generated only %d valid and %d failing submissions", len(valid), len(failing))
	}
	return valid, failing, nil
}

func runCompare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	fc := fs.String("figcheck", "http://127.0.0.1:8080", "figcheck base URL")
	opa := fs.String("opa", "http://127.0.0.1:8181", "OPA base URL")
	_ = fs.Parse(args)
	client := &http.Client{Timeout: 10 * time.Second}
	total, violated := 0, 0
	seen := map[string]bool{}
	var disagree []string
	for _, path := range fs.Args() {
		file, err := os.Open(path)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(file)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for line := 1; sc.Scan(); line++ {
			body := sc.Bytes()
			a, err := figcheckRules(client, *fc, body)
			if err != nil {
				file.Close()
				return fmt.Errorf("%s:%d: figcheck: %w", path, line, err)
			}
			b, err := opaRules(client, *opa, body)
			if err != nil {
				file.Close()
				return fmt.Errorf("%s:%d: opa: %w", path, line, err)
			}
			total++
			if len(a) > 0 {
				violated++
			}
			for _, id := range a {
				seen[id] = true
			}
			if !slices.Equal(a, b) {
				disagree = append(disagree, fmt.Sprintf("%s:%d: figcheck %v, opa %v", path, line, a, b))
			}
		}
		file.Close()
		if err := sc.Err(); err != nil {
			return err
		}
	}
	fmt.Printf("compared %d submissions (%d with violations, %d distinct rule ids violated): %d disagree\n",
		total, violated, len(seen), len(disagree))
	for _, d := range disagree {
		fmt.Println("  " + d)
	}
	if len(disagree) > 0 {
		return fmt.Errorf("%d of %d submissions disagree", len(disagree), total)
	}
	return nil
}

func post(client *http.Client, url string, body []byte, v any) error {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(data)))
	}
	return json.Unmarshal(data, v)
}

// figcheckRules returns the sorted distinct rule ids figcheck reports.
func figcheckRules(client *http.Client, base string, body []byte) ([]string, error) {
	var res struct {
		Violations []struct {
			Rule string `json:"rule"`
		} `json:"violations"`
	}
	if err := post(client, base+"/v1/check", body, &res); err != nil {
		return nil, err
	}
	var ids []string
	for _, v := range res.Violations {
		ids = append(ids, v.Rule)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// opaRules returns the sorted rule ids of data.figcheck.violations.
func opaRules(client *http.Client, base string, body []byte) ([]string, error) {
	in := append(append([]byte(`{"input":`), body...), '}')
	var res struct {
		Result *[]string `json:"result"`
	}
	if err := post(client, base+"/v1/data/figcheck/violations", in, &res); err != nil {
		return nil, err
	}
	if res.Result == nil {
		return nil, errors.New("no result: is the policy loaded?")
	}
	ids := slices.Clone(*res.Result)
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
