// Package e2e drives figcheck's web console in a real headless Chromium
// against a server the tests start on 127.0.0.1. The tests skip, with the
// reason, when no browser is installed (FIGCHECK_REQUIRE_BROWSER=1 makes
// that a failure, as .ci/run does). Screenshots of every step are written
// when a test fails, or always to FIGCHECK_E2E_SHOTS when it is set.
package e2e
