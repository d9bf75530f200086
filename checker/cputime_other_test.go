//go:build !unix

package checker_test

// cpuNanos is not measured here; benchmarks then report 0 cpu-ns/op.
func cpuNanos() int64 { return 0 }
