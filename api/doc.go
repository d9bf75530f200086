// Package api is figcheck's REST service: the gin handlers, the result
// cache wiring, Prometheus metrics and safe hot reload of the ruleset.
//
// New builds a Server from a Config; Serve runs it on a listener, so tests
// start it on 127.0.0.1:0. Handlers return errors; every error leaves
// through writeError with its code from the one table in errors.go and has
// the same JSON shape. A check answer is an Answer (answer.go), encoded
// once, counted and logged the same way whether it was cached or not.
package api
