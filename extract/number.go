package extract

import (
	"errors"
	"github.com/figcheck/figcheck/checker"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrNotNumber marks a capture that is neither a number nor a placeholder.
var ErrNotNumber = errors.New("not a number")

// Number is a figure as written in report text.
type Number struct {
	// Value is the number with any 万/亿 written after it applied
	// ("1.2万" is 12000). It is 0 for a placeholder.
	Value float64
	// Placeholder is true for a template leftover such as "xx".
	Placeholder bool
	// Qualifiers are the words that soften the figure, in text order
	// ("约", "近", "余", "以上" …).
	Qualifiers []string
	// Percent is true when the number was written with a trailing %.
	Percent bool
	// Scaled is true when 万 or 亿 followed the digits.
	Scaled bool
	// mantissa and exp give Value exactly as mantissa × 10^exp.
	mantissa string
	exp      int
}

// In returns the value counted in units of 10^scale, exactly rounded:
// In(4) of "350万" is 350.
func (n Number) In(scale int) float64 {
	if n.Placeholder || n.mantissa == "" {
		return 0
	}
	f, err := strconv.ParseFloat(n.mantissa+"e"+strconv.Itoa(n.exp-scale), 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// Note joins the qualifiers for display ("约", "余", "以上").
func (n Number) Note() string { return strings.Join(n.Qualifiers, "、") }

// Qualifier words, longest first so that "大约" wins over "约".
var (
	prefixQualifiers = []string{"大约", "将近", "超过", "不少于", "不低于", "约", "近", "逾", "超"}
	suffixQualifiers = []string{"以上", "左右", "以下", "余", "多"}
)

var fold = strings.NewReplacer(
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4",
	"５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"．", ".", "，", ",", "％", "%", "－", "-", "−", "-", "＋", "+",
	"ｘ", "x", "Ｘ", "X",
)

// maxNumberLen bounds what is worth parsing: a figure in a report is short.
const maxNumberLen = 64

// ParseNumber reads one figure as a report writes it: ASCII or full-width
// digits, thousands separators grouping in threes, a decimal point, an
// optional sign, a trailing 万 or 亿, a trailing % and qualifier words
// around it (约12, 近三成 is not a number, 12余, 95%以上). A template
// leftover ("xx", "××", "xx余") is a placeholder, not an error. Anything
// else is ErrNotNumber: a capture that holds other words is no figure.
func ParseNumber(s string) (Number, error) {
	var n Number
	if len(s) > maxNumberLen*4 || !utf8.ValidString(s) {
		return n, ErrNotNumber
	}
	s = strings.TrimSpace(fold.Replace(s))
	for changed := true; changed; {
		changed = false
		for _, q := range prefixQualifiers {
			if rest, ok := strings.CutPrefix(s, q); ok {
				n.Qualifiers = append(n.Qualifiers, q)
				s, changed = strings.TrimSpace(rest), true
				break
			}
		}
	}
	var suffixes []string
	for changed := true; changed; {
		changed = false
		for _, q := range suffixQualifiers {
			if rest, ok := strings.CutSuffix(s, q); ok {
				suffixes = append(suffixes, q)
				s, changed = strings.TrimSpace(rest), true
				break
			}
		}
		if rest, ok := strings.CutSuffix(s, "%"); ok && !n.Percent {
			n.Percent, s, changed = true, strings.TrimSpace(rest), true
		}
	}
	shift := 0
	for changed := true; changed; {
		changed = false
		switch {
		case strings.HasSuffix(s, "万"):
			s, shift, changed = strings.TrimSuffix(s, "万"), shift+4, true
		case strings.HasSuffix(s, "亿"):
			s, shift, changed = strings.TrimSuffix(s, "亿"), shift+8, true
		}
		if changed {
			n.Scaled = true
			// "12余万": the qualifier stands between the digits and 万.
			for _, q := range suffixQualifiers {
				if rest, ok := strings.CutSuffix(s, q); ok {
					suffixes = append(suffixes, q)
					s = rest
					break
				}
			}
		}
	}
	if shift > 12 || (n.Percent && n.Scaled) {
		return Number{}, ErrNotNumber
	}
	// Suffixes were removed from the end inwards; give them in text order.
	for i := len(suffixes) - 1; i >= 0; i-- {
		n.Qualifiers = append(n.Qualifiers, suffixes[i])
	}
	if s == "" {
		return Number{}, ErrNotNumber
	}
	if isPlaceholder(s) {
		n.Placeholder = true
		return n, nil
	}
	if len(s) > maxNumberLen {
		return Number{}, ErrNotNumber
	}
	if strings.ContainsRune(s, ',') {
		if !checker.ValidThousands(s) {
			return Number{}, ErrNotNumber
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
		case (r == '-' || r == '+') && i == 0:
		default:
			return Number{}, ErrNotNumber
		}
	}
	if digits == 0 || strings.Count(s, ".") > 1 || strings.HasSuffix(s, ".") || strings.HasPrefix(strings.TrimLeft(s, "+-"), ".") {
		return Number{}, ErrNotNumber
	}
	// Parsing "1.2e4" rounds once, so 1.2万 is exactly 12000.
	f, err := strconv.ParseFloat(s+"e"+strconv.Itoa(shift), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Number{}, ErrNotNumber
	}
	n.Value, n.mantissa, n.exp = f, s, shift
	return n, nil
}

// isPlaceholder reports whether s is made only of the marks a template uses
// for a figure still to be filled in ("xx", "××", "**", "？？").
func isPlaceholder(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isPlaceholderRune(r) {
			return false
		}
	}
	return true
}

func isPlaceholderRune(r rune) bool { return checker.IsPlaceholderRune(r) }

// scaleOf is the power of ten a unit counts in: 4 for 万元 and 万人次, 8 for
// 亿元, 0 otherwise.
func scaleOf(unit string) int {
	switch {
	case strings.HasPrefix(unit, "万"):
		return 4
	case strings.HasPrefix(unit, "亿"):
		return 8
	}
	return 0
}
