// Package configs embeds the shipped form files, so that a figcheck binary
// run outside the source tree still has its default rules.
package configs

import (
	"embed"
	"errors"
	"io/fs"
	"os"

	"github.com/figcheck/figcheck/rules"
)

// Forms holds configs/forms: the shipped form files, below "forms".
//
//go:embed forms
var Forms embed.FS

// DefaultRulesDir is where the shipped forms live in the source tree.
const DefaultRulesDir = "configs/forms"

// LoadRules loads the form files below dir. When dir is the default and
// does not exist (a binary run outside the source tree), the forms embedded
// in the binary are loaded instead.
func LoadRules(dir string) (*rules.Ruleset, error) {
	if dir == DefaultRulesDir {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return rules.LoadFS(Forms, "forms", "embedded:configs/forms")
		}
	}
	return rules.LoadDir(dir)
}
