package main

import (
	"fmt"
	"io"

	"github.com/figcheck/figcheck/auth"
)

// defaultTokensFile is where figcheck token writes without --tokens.
const defaultTokensFile = "figcheck.tokens"

// runToken: figcheck token add NAME --role R [--tokens FILE] | figcheck token list [--tokens FILE]
func runToken(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		fmt.Fprintln(stderr, "usage: figcheck token add NAME --role admin|auditor|unit:<unit> [--tokens FILE]\n       figcheck token list [--tokens FILE]")
		return exitBadArgs
	}
	sub := args[0]
	fs := newFlags("token "+sub, stderr)
	file := fs.String("tokens", defaultTokensFile, "tokens `file` (holds only hashes; created with mode 0600)")
	roleText := fs.String("role", "", "role: admin, auditor or unit:<unit name>")
	// Accept the flags before or after NAME.
	rest := args[1:]
	var name string
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		name, rest = rest[0], rest[1:]
	}
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if sub == "list" {
		t, err := auth.LoadTokens(*file)
		if err != nil {
			fmt.Fprintf(stderr, "figcheck token list: %v\n", err)
			return exitBadArgs
		}
		for _, p := range t.Names() {
			fmt.Fprintf(stdout, "%s\t%s\n", p.Name, p.Role)
		}
		return exitOK
	}
	if name == "" || fs.NArg() > 1 || (fs.NArg() == 1 && fs.Arg(0) != name) {
		fmt.Fprintln(stderr, "figcheck token add: want exactly one NAME")
		return exitBadArgs
	}
	role, err := auth.ParseRole(*roleText)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck token add: --role: %v\n", err)
		return exitBadArgs
	}
	token, err := auth.AddToken(*file, name, role)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck token add: %v\n", err)
		return exitBadArgs
	}
	fmt.Fprintf(stderr, "added %s (%s) to %s; the token is shown once, store it now:\n", name, role, *file)
	fmt.Fprintln(stdout, token)
	return exitOK
}
