package rules

import (
	"errors"

	"github.com/figcheck/figcheck/rules/rulefmt"
)

// ErrNoForms is returned when a rules directory holds no form file.
var ErrNoForms = errors.New("no form files found")

// Positions and problems are the form-file format's (package rulefmt):
// a compile problem is reported in the same list, at the same kind of
// position, as a parse problem.
type (
	Pos       = rulefmt.Pos
	Error     = rulefmt.Error
	ErrorList = rulefmt.ErrorList
)

// Problems returns the individual problems held in err (see rulefmt.Problems).
func Problems(err error) []error { return rulefmt.Problems(err) }

type errs struct{ list ErrorList }

func (e *errs) add(p Pos, format string, args ...any) { e.list.Add(p, format, args...) }
