package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/configs"
)

// runTemplate writes a form's fill-in workbook (audit.WriteTemplate).
func runTemplate(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("template", stderr)
	dir := fs.String("rules", configs.DefaultRulesDir, "rules `directory`")
	formID := fs.String("form", "", "form `id` (default: the only form of the rules)")
	out := fs.String("o", "填报模板.xlsx", "write the workbook to `file` (- for stdout)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: figcheck template [--rules DIR] [--form ID] [-o FILE]")
		return exitBadArgs
	}
	f, err := loadForm(*dir, *formID)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck template: %v\n", err)
		return exitBadArgs
	}
	if *out == "-" {
		err = audit.WriteTemplate(f, stdout)
	} else {
		var file *os.File
		if file, err = os.Create(*out); err == nil {
			err = errors.Join(audit.WriteTemplate(f, file), file.Close())
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "figcheck template: %v\n", err)
		return exitBadArgs
	}
	if *out != "-" {
		fmt.Fprintf(stdout, "已写出 %s:%d 项指标,%d 条规则\n", *out, len(f.Indicators), len(f.Rules))
	}
	return exitOK
}
