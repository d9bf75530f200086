//go:build !unix

package audit

// cpuNanos is not measured here; benchmarks then report 0 cpu-ns/op.
func cpuNanos() int64 { return 0 }
