// Package prometheus holds figcheck's Prometheus alerting and recording
// rules (alerts.yml) and their tests: promtool unit tests
// (alerts_test.yml) and an end-to-end test in which a real Prometheus
// scrapes a running figcheck. It has no code of its own.
package prometheus
