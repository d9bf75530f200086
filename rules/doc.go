// Package rules reads form files and compiles them into a Ruleset.
//
// A form file is YAML describing the indicators (figures) a report asks for
// and the rules, written in expr, that those figures must satisfy. Parsing is
// strict and collects every problem with its file:line:col; compilation
// type-checks every expression against the form's indicators. The result is a
// set of plain structs holding compiled programs, ready for package checker to
// evaluate. Nothing here evaluates a submission.
package rules
