// Command figcheck checks the figures units report against form rules.
//
//	figcheck serve   run the REST service
//	figcheck check   check one submission
//	figcheck lint    load form files and report every problem
//	figcheck test    run the rule tests written in form files
//	figcheck forms   list forms, indicators and rule counts
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes.
const (
	exitOK      = 0
	exitFail    = 1 // a check failed, a lint problem, a failing rule test
	exitBadArgs = 2 // bad input, bad rules, bad flags
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

type command struct {
	name  string
	usage string
	run   func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the REST service", runServe},
		{"check", "check one submission (JSON file or - for stdin)", runCheck},
		{"audit", "review a batch of units (CSV, XLSX, JSON, NDJSON): checks, totals, jumps, anomalies", runAudit},
		{"template", "write a form's fill-in workbook (XLSX) for units", runTemplate},
		{"extract", "find a form's figures and placeholders in report text", runExtract},
		{"lint", "load form files and report every problem", runLint},
		{"test", "run the rule tests written in form files", runTest},
		{"forms", "list forms, indicators and rule counts", runForms},
		{"token", "add a bearer token to the tokens file (token add NAME --role R)", runToken},
		{"history", "show units' check attempts from a decision log", runHistory},
		{"healthcheck", "probe a running server's /healthz (for container HEALTHCHECKs)", runHealthcheck},
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitBadArgs
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "figcheck: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitBadArgs
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: figcheck <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'figcheck <command> -h' for a command's flags.")
}
