// Package api is figcheck's REST service: the gin handlers, the result
// cache wiring, Prometheus metrics and safe hot reload of the ruleset.
//
// New builds a Server from a Config; Serve runs it on a listener, so tests
// start it on 127.0.0.1:0. Every error leaves through one function (see
// errors.go) and has the same JSON shape.
package api
