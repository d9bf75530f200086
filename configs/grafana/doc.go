// Package grafana holds figcheck's Grafana dashboard (figcheck.json) and
// the test that keeps it consistent with the service's metrics. Its
// queries are also run against a real Prometheus by the end-to-end test in
// configs/prometheus.
package grafana
