package prometheus

import (
	"os"
	"os/exec"
	"testing"
)

// lookTool returns the path of a Prometheus tool. Without it the test is
// skipped with the reason, or fails under CI (CI=true), where .ci/run
// installs the Debian package prometheus.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := name + " is not installed (Debian package prometheus; .ci/run installs it)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip("skipping: " + msg)
	}
	return p
}
