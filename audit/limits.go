package audit

import (
	"errors"
	"fmt"
	"slices"
)

// Limits bound the memory of one audit, whatever the input: a batch that
// goes over one is refused with a *LimitError naming it, and problems of
// one kind beyond Problems are counted, not listed. A zero field takes
// its default.
type Limits struct {
	// Rows is the most rows an audit keeps (default 2,000,000).
	Rows int `yaml:"rows"`
	// Cells is the most figures it keeps: rows × the form's indicators,
	// 8 bytes each (default 200,000,000: 1.6 GB; a server sets less).
	Cells int `yaml:"cells"`
	// Columns is the most columns of a header row and the most keys of a
	// JSON row (default 10,000).
	Columns int `yaml:"columns"`
	// LineBytes is the longest CSV or NDJSON line (default 1 MiB): a row
	// of a few hundred figures is a few KiB.
	LineBytes int `yaml:"line_bytes"`
	// SheetBytes is the most an XLSX sheet (and its shared strings) may
	// expand to (default 1 GiB); the server sets a multiple of its body
	// limit.
	SheetBytes int64 `yaml:"sheet_bytes"`
	// Problems is how many input problems of one kind are listed
	// (default 100); the rest are counted.
	Problems int `yaml:"problems"`

	tmpDir string // excelize's temporary files ("": the system's); for tests
}

func (l *Limits) defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&l.Rows, 2_000_000)
	def(&l.Cells, 200_000_000)
	def(&l.Columns, 10_000)
	def(&l.LineBytes, 1<<20)
	def(&l.Problems, 100)
	if l.SheetBytes <= 0 {
		l.SheetBytes = 1 << 30
	}
}

// DefaultLimits are the limits of the zero Limits.
func DefaultLimits() Limits {
	var l Limits
	l.defaults()
	return l
}

// ErrLimit marks a batch refused because it goes over one of the Limits;
// the error is a *LimitError.
var ErrLimit = errors.New("batch over a limit")

// LimitError names the limit a batch goes over.
type LimitError struct {
	Limit string // rows, cells, columns, line_bytes, sheet_bytes, or unit_names (4 GiB of them)
	Max   int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the batch is over the %s limit of %d", e.Limit, e.Max)
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// admit checks that rows rows of n figures each fit.
func (l *Limits) admit(rows, n int) error {
	if rows > l.Rows {
		return &LimitError{Limit: "rows", Max: int64(l.Rows)}
	}
	if rows*n > l.Cells {
		return &LimitError{Limit: "cells", Max: int64(l.Cells)}
	}
	return nil
}

// problems lists input problems, the first max of each kind; the others
// are counted, and the report says how many of each kind it left out.
type problems struct {
	max     int
	list    []Problem
	perKind map[string]int
	kinds   []string // in order of first occurrence
	total   int
}

func (p *problems) add(pr Problem) {
	p.total++
	kind := pr.kind
	if kind == "" {
		kind = pr.Message
	}
	if p.perKind == nil {
		p.perKind = map[string]int{}
	}
	n, seen := p.perKind[kind]
	if !seen {
		p.kinds = append(p.kinds, kind)
	}
	p.perKind[kind] = n + 1
	if n < p.max {
		p.list = append(p.list, pr)
	}
}

// listed is the problems to report: those kept, then one line per kind
// with more than max, saying how many were left out.
func (p *problems) listed() []Problem {
	out := slices.Clip(p.list) // appending copies
	for _, kind := range p.kinds {
		if n := p.perKind[kind]; n > p.max {
			first := p.first(kind)
			out = append(out, Problem{File: first.File, Column: first.Column,
				Message: fmt.Sprintf("同类问题共%d个,以上只列出前%d个(第一个:%s)", n, p.max, first.Message)})
		}
	}
	return out
}

func (p *problems) first(kind string) Problem {
	for _, pr := range p.list {
		if pr.kind == kind || (pr.kind == "" && pr.Message == kind) {
			return pr
		}
	}
	return Problem{}
}
