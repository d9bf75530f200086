// Package checker evaluates a compiled form (package rules) on one
// submission of figures and reports every problem in one Result.
//
// Compiled programs are shared by all goroutines; each evaluation borrows a
// vm.VM and an environment map from a pool, so a Checker is safe for
// concurrent use and a passing rule costs no allocation.
package checker
