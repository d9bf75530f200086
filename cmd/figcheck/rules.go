package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/rules"
)

// defaultRulesDir is where the shipped forms live in the source tree.
const defaultRulesDir = "configs/forms"

// loadRules loads dir; when dir is the default and does not exist (a binary
// run outside the source tree), the forms embedded in the binary are used.
func loadRules(dir string) (*rules.Ruleset, error) {
	if dir == defaultRulesDir {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return rules.LoadFS(configs.Forms, "forms", "embedded:configs/forms")
		}
	}
	return rules.LoadDir(dir)
}
