// Package web holds figcheck's browser console: the unit page, where a unit
// checks its figures or its report text before submitting, and the auditor
// page, where a batch is uploaded for review. The files are plain HTML, CSS
// and JavaScript embedded in the binary; they load nothing from elsewhere,
// so the console works on an intranet without internet access.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// Static is the console's files: unit.html, audit.html and what they load.
var Static fs.FS = mustSub(files, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded above; this cannot happen
	}
	return sub
}
