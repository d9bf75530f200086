// Package configs embeds the shipped form files, so that a figcheck binary
// run outside the source tree still has its default rules.
package configs

import "embed"

// Forms holds configs/forms: the shipped form files, below "forms".
//
//go:embed forms
var Forms embed.FS
