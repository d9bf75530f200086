// Package period names reporting periods. A form declares its period
// scheme (period_scheme in the form file); the scheme turns the spellings
// units write — 2025H1, 2025 H1, 2025年上半年 — into one canonical name,
// refuses anything else, and says which period a given one is compared
// with, so that the service can find the figures `previous` reads.
package period

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// ErrInvalid marks a period the scheme does not accept.
var ErrInvalid = errors.New("invalid period")

// Scheme is one way of naming periods.
type Scheme interface {
	// Name is the scheme's name in form files (period_scheme).
	Name() string
	// Normalize returns the canonical name of p, or an error wrapping
	// ErrInvalid that names the accepted forms.
	Normalize(p string) (string, error)
	// Previous returns the period a canonical one is compared with: the
	// period whose figures a form's rules read as previous.
	Previous(p string) string
	// Accepted lists the accepted spellings, for error messages.
	Accepted() []string
}

// HalfYear is the scheme of half-year reports: canonical 2025H1, 2025H2.
const HalfYear = "halfyear"

// Lookup returns the scheme called name; "" is the free-text scheme,
// which keeps periods as written and knows no previous period.
func Lookup(name string) (Scheme, error) {
	switch name {
	case HalfYear:
		return halfYear{}, nil
	case "":
		return freeText{}, nil
	}
	return nil, fmt.Errorf("unknown period scheme %q: want %s", name, HalfYear)
}

// Names lists the known schemes.
func Names() []string { return []string{HalfYear} }

type halfYear struct{}

func (halfYear) Name() string { return HalfYear }

func (halfYear) Accepted() []string {
	return []string{"2025H1", "2025H2", "2025 H1", "2025-H1", "2025年上半年", "2025年下半年"}
}

// Normalize folds full-width characters, drops spaces and separators, and
// reads a four-digit year followed by H1/H2, 上半年/下半年 (with or
// without 年 after the year).
func (h halfYear) Normalize(p string) (string, error) {
	s := width.Fold.String(strings.TrimSpace(p))
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '_' || r == '/' || r == '.' {
			return -1
		}
		return r
	}, s)
	if len(s) >= 6 && isYear(s[:4]) {
		year, rest := s[:4], strings.TrimPrefix(s[4:], "年")
		half := ""
		switch strings.ToUpper(rest) {
		case "H1", "上半年", "上半":
			half = "H1"
		case "H2", "下半年", "下半":
			half = "H2"
		}
		if half != "" {
			return year + half, nil
		}
	}
	return "", fmt.Errorf("%w %q: a half-year is written like %s", ErrInvalid, p, strings.Join(h.Accepted(), ", "))
}

// Previous is the same half of the year before: a half-year report
// compares with last year (较去年, 上年), and some of its figures (the
// gaokao rates) are reported once a year, in the same half.
func (halfYear) Previous(p string) string {
	if len(p) != 6 || !isYear(p[:4]) || (p[4:] != "H1" && p[4:] != "H2") {
		return ""
	}
	y, _ := strconv.Atoi(p[:4])
	if y <= 1000 {
		return ""
	}
	return strconv.Itoa(y-1) + p[4:]
}

func isYear(s string) bool {
	if len(s) != 4 || s[0] < '1' || s[0] > '9' {
		return false
	}
	for i := range 4 {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// freeText is the scheme of a form that declares none.
type freeText struct{}

func (freeText) Name() string                       { return "" }
func (freeText) Normalize(p string) (string, error) { return p, nil }
func (freeText) Previous(string) string             { return "" }
func (freeText) Accepted() []string                 { return nil }
