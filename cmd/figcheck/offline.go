package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/rules"
)

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("figcheck "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args; ok is false (with the exit code) on -h or an error.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitBadArgs, false
	}
	return 0, true
}

func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("check", stderr)
	dir := fs.String("rules", configs.DefaultRulesDir, "rules `directory`")
	form := fs.String("form", "", "form `id` (default: the submission's form)")
	format := fs.String("format", "text", "output format: text or json")
	asText := fs.Bool("text", false, "FILE is report text: take the figures from it with the form's patterns (needs --form)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || (*format != "text" && *format != "json") {
		fmt.Fprintln(stderr, "usage: figcheck check [--rules DIR] [--form ID] [--format text|json] [--text] FILE|-")
		return exitBadArgs
	}
	read := readSubmission
	if *asText {
		read = func(name string, stdin io.Reader) (*checker.Submission, error) {
			return readTextSubmission(name, stdin, *form)
		}
	}
	sub, err := read(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck check: %v\n", err)
		return exitBadArgs
	}
	if *form != "" {
		sub.Form = *form
	}
	rs, err := configs.LoadRules(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck check: loading rules:\n%v\n", err)
		return exitBadArgs
	}
	f, err := checker.FormOrOnly(rs, sub.Form)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck check: %v\n", err)
		return exitBadArgs
	}
	ext, err := extract.FromText(f, sub)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck check: %v\n", err)
		return exitBadArgs
	}
	var c checker.Checker
	res := c.Check(f, sub)
	if *format == "json" {
		if err := writeJSON(stdout, checkOutput{res, ext}); err != nil {
			fmt.Fprintf(stderr, "figcheck check: %v\n", err)
			return exitBadArgs
		}
	} else {
		if ext != nil {
			writeExtraction(stdout, f, ext)
			fmt.Fprintln(stdout)
		}
		writeText(stdout, f, res)
	}
	if res.Verdict == checker.Fail {
		return exitFail
	}
	return exitOK
}

func readSubmission(name string, stdin io.Reader) (*checker.Submission, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	sub, err := checker.DecodeSubmission(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return sub, nil
}

func runLint(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("lint", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	dir := configs.DefaultRulesDir
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	rs, err := rules.LoadDir(dir)
	if err != nil {
		for _, p := range rules.Problems(err) {
			fmt.Fprintln(stdout, p)
		}
		return exitFail
	}
	n := 0
	for _, f := range rs.Forms {
		n += len(f.Rules)
	}
	fmt.Fprintf(stdout, "%s: %d forms, %d rules, no problems\n", dir, len(rs.Forms), n)
	return exitOK
}

func runTest(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("test", stderr)
	verbose := fs.Bool("v", false, "print every test, not only failures")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	dir := configs.DefaultRulesDir
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	rs, err := rules.LoadDir(dir)
	if err != nil {
		for _, p := range rules.Problems(err) {
			fmt.Fprintln(stdout, p)
		}
		return exitBadArgs
	}
	var c checker.Checker
	passed, failed := 0, 0
	for _, id := range rs.FormIDs() {
		f, _ := rs.Form(id)
		for _, tr := range c.RunTests(f) {
			if tr.OK() {
				passed++
			} else {
				failed++
			}
			if !tr.OK() || *verbose {
				fmt.Fprintln(stdout, tr)
			}
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return exitFail
	}
	return exitOK
}

func runForms(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("forms", stderr)
	dir := fs.String("rules", configs.DefaultRulesDir, "rules `directory`")
	verbose := fs.Bool("v", false, "list every indicator")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	rs, err := configs.LoadRules(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck forms: loading rules:\n%v\n", err)
		return exitBadArgs
	}
	for _, id := range rs.FormIDs() {
		f, _ := rs.Form(id)
		sev := map[rules.Severity]int{}
		tests := 0
		for _, r := range f.Rules {
			sev[r.Severity]++
			tests += len(r.Tests)
		}
		fmt.Fprintf(stdout, "%s\t%s\tversion %s\n", f.ID, f.Title, f.Digest)
		fmt.Fprintf(stdout, "  %d indicators, %d rules (%d error, %d warning, %d info), %d rule tests\n",
			len(f.Indicators), len(f.Rules), sev[rules.SevError], sev[rules.SevWarning], sev[rules.SevInfo], tests)
		if *verbose {
			for _, ind := range f.Indicators {
				fmt.Fprintf(stdout, "  %-36s %-24s %-8s %-8s %s\n", ind.ID, ind.Name, ind.Unit, ind.Type, ind.Section)
			}
		}
	}
	return exitOK
}
