package checker

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/figcheck/figcheck/rules"
)

// Problems a figure can have before any rule looks at it.
var (
	// ErrPlaceholder marks a template leftover such as "xx" or an empty cell.
	ErrPlaceholder = errors.New("placeholder")
	// ErrNotNumber marks a value that is not a number.
	ErrNotNumber = errors.New("not a number")
	// ErrFraction marks a fraction given for an integer indicator.
	ErrFraction = errors.New("fraction in an integer field")
	// ErrExcelDisplay marks a typed figure in the form Excel shows a
	// number too long for its cell ("1.23457E+11"): the digits are lost.
	ErrExcelDisplay = errors.New("a number as Excel displays it, rounded")
	// ErrScientific marks a typed figure in scientific notation ("1e5").
	ErrScientific = errors.New("scientific notation")
	// ErrTrailingPoint marks a typed figure ending in a decimal point ("12.").
	ErrTrailingPoint = errors.New("a trailing decimal point")
	// ErrInexact marks a figure of 2^53 or more in magnitude, which a
	// float64 cannot hold exactly: it would be rounded silently.
	ErrInexact = errors.New("too large to be exact")
)

// MaxExact is the bound below which every integer is exact in a float64
// (2^53); figures of this magnitude or more are rejected, not rounded.
const MaxExact = 1 << 53

// UnitError is a figure written with a unit other than its indicator's
// ("3850元" for a figure counted in 万元).
type UnitError struct {
	Given, Want string
}

func (e *UnitError) Error() string {
	return fmt.Sprintf("written in %s, counted in %s", e.Given, e.Want)
}

// unitSynonyms are the units written for one another.
var unitSynonyms = map[string]string{"名": "人", "场次": "场", "百分点": "个百分点"}

func sameUnit(a, b string) bool {
	if s, ok := unitSynonyms[a]; ok {
		a = s
	}
	if s, ok := unitSynonyms[b]; ok {
		b = s
	}
	return a == b
}

// NormalizeFor is Normalize for one indicator: a string may end with the
// indicator's own unit ("24次", "3,850万元" for a 万元 figure), which is
// dropped; another unit is a *UnitError naming both.
func NormalizeFor(v any, ind *rules.Indicator) (float64, error) {
	if s, ok := v.(string); ok && ind.Unit != "" {
		num, unit := splitUnit(s)
		switch {
		case unit == "" || num == "":
		case sameUnit(unit, ind.Unit):
			v = num
		case ind.Type == rules.Percent && unit == "%":
		default:
			if _, err := parseString(num, ind.Type); err == nil || errors.Is(err, ErrPlaceholder) {
				return 0, &UnitError{Given: unit, Want: ind.Unit}
			}
		}
	}
	return Normalize(v, ind.Type)
}

// splitUnit cuts the words after the number off a typed value: "24次" is
// "24" and "次". A value with no number before the words is left whole.
func splitUnit(s string) (string, string) {
	s = strings.TrimSpace(s)
	i := len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if unicode.IsDigit(r) || unicode.IsSpace(r) || strings.ContainsRune(".,%．，％xX×ｘＸ*＊?？_＿", r) {
			break
		}
		i -= size
	}
	return strings.TrimSpace(s[:i]), s[i:]
}

var fullWidth = strings.NewReplacer(
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4",
	"５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"．", ".", "－", "-", "＋", "+", "％", "%", "，", ",", "　", " ",
	"−", "-", // U+2212 minus sign, as word processors write it
)

// Normalize turns a submitted value into a number for an indicator of type
// t. It accepts JSON numbers and strings: the latter are trimmed, full-width
// digits and signs are folded, thousands separators dropped, and a trailing
// "%" is allowed on percent indicators. Template leftovers ("xx", "××",
// "**", "") give ErrPlaceholder.
func Normalize(v any, t rules.Type) (float64, error) {
	var x float64
	switch val := v.(type) {
	case float64:
		x = val
	case int:
		x = float64(val)
	case int64:
		x = float64(val)
	case json.Number:
		f, ok := numberValue(string(val))
		if !ok {
			return 0, ErrNotNumber
		}
		x = f
	case string:
		f, err := parseString(val, t)
		if err != nil {
			return 0, err
		}
		x = f
	default:
		return 0, ErrNotNumber
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, ErrNotNumber
	}
	if math.Abs(x) >= MaxExact {
		return 0, ErrInexact
	}
	if t == rules.Integer && x != math.Trunc(x) {
		return 0, ErrFraction
	}
	return x, nil
}

func parseString(s string, t rules.Type) (float64, error) {
	if !isASCII(s) { // every full-width form is outside ASCII
		s = fullWidth.Replace(s)
	}
	s = strings.TrimSpace(s)
	if t == rules.Percent {
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	}
	if isPlaceholder(s) { // after the "%", so that "xx%" is a placeholder
		return 0, ErrPlaceholder
	}
	if strings.ContainsRune(s, ',') {
		if !ValidThousands(s) {
			return 0, ErrNotNumber
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	// ParseFloat alone would accept "Inf", "NaN", hex and underscores.
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E') {
			return 0, ErrNotNumber
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) && !strings.ContainsAny(s, "eE") {
			return 0, ErrInexact
		}
		return 0, ErrNotNumber
	}
	// Valid numbers, but not as a person writes a figure.
	switch {
	case strings.Contains(s, "E+") || strings.Contains(s, "E-"):
		return 0, ErrExcelDisplay
	case strings.ContainsAny(s, "eE"):
		return 0, ErrScientific
	case strings.HasSuffix(s, "."):
		return 0, ErrTrailingPoint
	}
	return f, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ValidThousands reports whether the commas in s group the integer part
// in threes, so that "1,200" is accepted and a list like "1,2" is not.
func ValidThousands(s string) bool {
	s = strings.TrimLeft(s, "+-")
	intPart, frac, _ := strings.Cut(s, ".")
	if strings.ContainsRune(frac, ',') {
		return false
	}
	groups := strings.Split(intPart, ",")
	if len(groups[0]) < 1 || len(groups[0]) > 3 {
		return false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return false
		}
	}
	return true
}

// isPlaceholder reports whether s is empty or made only of the marks a
// template uses for a figure still to be filled in.
func isPlaceholder(s string) bool {
	for _, r := range s {
		if !IsPlaceholderRune(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
