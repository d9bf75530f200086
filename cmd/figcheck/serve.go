package main

import (
	"fmt"
	"io"
)

func runServe(args []string, _ io.Reader, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "figcheck serve: not built yet")
	return exitBadArgs
}
