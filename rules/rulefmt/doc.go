// Package rulefmt is the form-file format: the YAML a form is written in,
// decoded strictly into plain definitions that keep the position of every
// value, and the positioned errors every stage of loading reports.
//
// Nothing here compiles an expression or knows what a rule means; package
// rules builds the compiled form from a File. Parse reports every problem of
// a file at once and still returns what it could read, so that the compiler
// can add its own problems to the same list (see File and Str.Given).
package rulefmt
