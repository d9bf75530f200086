// Package extract finds a form's figures in the text of a report, and
// reads that text out of a Word document (ReadDocx).
//
// It reads figures two ways. An indicator's patterns, regular expressions
// around the figure as one template words it (`开工建设幼儿园(\S+?)所`),
// run first and win: they are the override for wording no general rule
// reads. What they leave is read by the words pass (words.go): every
// number with a unit in a clause goes to the indicator whose name, aliases
// and unit fit it best, so that a report in its own words
// ("新开工幼儿园7所，其中已竣工4所") is read too. It prefers giving no
// figure to giving a wrong one: a capture that is not cleanly a number is
// ignored, an indicator found twice with different values is ambiguous,
// and a number two indicators fit equally goes to neither.
//
// Extract returns the figures it is sure of, the template placeholders
// ("xx") still in the text with the indicator each one stands for, the
// indicators it did not find, and the ambiguities. Offsets and lengths
// count Unicode code points from the start of the text, so that a browser
// can index the same text with Array.from.
package extract

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/figcheck/figcheck/rules"
)

// Figure is one indicator's value found in the text.
type Figure struct {
	Value float64 `json:"value"`
	// Raw is the value as written ("1.2万", "约95").
	Raw string `json:"raw"`
	// Note holds the qualifiers written with the figure ("约", "余",
	// "以上"): the value is the number without them.
	Note    string `json:"note,omitempty"`
	Snippet string `json:"snippet"`
	Offset  int    `json:"offset"`
	Length  int    `json:"length"`
}

// Placeholder is a template leftover ("xx") still in the text. ID is the
// indicator it stands for, or "" when no pattern places it.
type Placeholder struct {
	ID      string `json:"id"`
	Raw     string `json:"raw"`
	Snippet string `json:"snippet"`
	Offset  int    `json:"offset"`
	Length  int    `json:"length"`
}

// Ambiguity is an indicator found with values that disagree, or whose
// only figures were also claimed by another indicator.
type Ambiguity struct {
	ID         string   `json:"id"`
	Reason     string   `json:"reason"`
	Candidates []Figure `json:"candidates"`
	// Count is how many candidates there were; Candidates lists at most
	// ten of them.
	Count int `json:"count"`
	// Others lists the other indicators that claimed the same number.
	Others []string `json:"others,omitempty"`
}

// Result is what Extract found.
type Result struct {
	Figures      map[string]Figure `json:"figures"`
	Placeholders []Placeholder     `json:"placeholders"`
	// PlaceholdersOmitted counts the placeholders past the first 2000,
	// which are not listed.
	PlaceholdersOmitted int `json:"placeholders_omitted,omitempty"`
	// Missing lists, in form order, the indicators of which the text holds
	// neither a figure, a placeholder nor an ambiguity.
	Missing   []string    `json:"missing"`
	Ambiguous []Ambiguity `json:"ambiguous"`
}

// Values returns the figures as a submission's figures map.
func (r *Result) Values() map[string]any {
	out := make(map[string]any, len(r.Figures))
	for id, f := range r.Figures {
		out[id] = f.Value
	}
	return out
}

// Reasons an indicator is ambiguous.
const (
	ReasonConflict = "conflicting_values" // found twice with different values
	ReasonShared   = "shared_figure"      // the only figures found were claimed by another indicator too
)

// snippetContext is how many code points of text a snippet shows on each
// side of the match.
const snippetContext = 8

// candidate is one capture of one indicator's pattern.
type candidate struct {
	ind        *rules.Indicator
	num        Number
	start, end int // byte span of the capture
	mStart     int // byte span of the whole match
	mEnd       int
	value      float64
}

// Extract finds f's figures in text.
func Extract(f *rules.Form, text string) *Result {
	res := &Result{Figures: map[string]Figure{}, Placeholders: []Placeholder{}, Missing: []string{}, Ambiguous: []Ambiguity{}}
	idx := newRuneIndex(text)

	var cands []candidate
	for _, ind := range f.Indicators {
		for _, re := range ind.Patterns {
			cands = appendMatches(cands, ind, re, text)
		}
	}

	// A span claimed by more than one indicator belongs to none of them.
	owners := map[[2]int][]string{}
	for _, c := range cands {
		k := [2]int{c.start, c.end}
		if !slices.Contains(owners[k], c.ind.ID) {
			owners[k] = append(owners[k], c.ind.ID)
		}
	}

	byInd := map[string][]candidate{}
	shared := map[string][]candidate{}
	type key struct {
		id         string
		start, end int
	}
	seen := map[key]bool{}
	for _, c := range cands {
		k := [2]int{c.start, c.end}
		if len(owners[k]) > 1 {
			shared[c.ind.ID] = append(shared[c.ind.ID], c)
			continue
		}
		// The same span found by two patterns of one indicator counts once.
		if sk := (key{c.ind.ID, c.start, c.end}); !seen[sk] {
			seen[sk] = true
			byInd[c.ind.ID] = append(byInd[c.ind.ID], c)
		}
	}

	placed := map[[2]int]string{} // placeholder capture spans → indicator
	settled := map[string]bool{}  // indicators the patterns decided
	for _, ind := range f.Indicators {
		if len(ind.Patterns) == 0 {
			continue
		}
		var nums []candidate
		for _, c := range byInd[ind.ID] {
			if c.num.Placeholder {
				placed[[2]int{c.start, c.end}] = ind.ID
				settled[ind.ID] = true
			} else {
				nums = append(nums, c)
			}
		}
		switch {
		case len(nums) > 0:
			settled[ind.ID] = true
			decide(res, text, idx, ind.ID, nums)
		case hasNumber(shared[ind.ID]) && !hasPlaceholder(byInd[ind.ID]):
			settled[ind.ID] = true
			res.Ambiguous = append(res.Ambiguous, sharedAmbiguity(text, idx, ind.ID, shared[ind.ID], func(c candidate) []string {
				return owners[[2]int{c.start, c.end}]
			}))
		}
	}

	// The words pass fills what the patterns left, from the numbers no
	// pattern claimed.
	claimed := make([]bool, len(text)+1)
	for _, c := range cands {
		for b := c.start; b < c.end; b++ {
			claimed[b] = true
		}
	}
	byWords, sharedWords, others := wordsPass(f, text, claimed, settled)
	for _, ind := range f.Indicators {
		if settled[ind.ID] {
			continue
		}
		var nums []candidate
		for _, c := range byWords[ind.ID] {
			if c.num.Placeholder {
				placed[[2]int{c.start, c.end}] = ind.ID
			} else {
				nums = append(nums, c)
			}
		}
		switch {
		case len(nums) > 0:
			decide(res, text, idx, ind.ID, nums)
		case hasNumber(sharedWords[ind.ID]) && !hasPlaceholder(byWords[ind.ID]):
			res.Ambiguous = append(res.Ambiguous, sharedAmbiguity(text, idx, ind.ID, sharedWords[ind.ID], func(c candidate) []string {
				return others[[2]int{c.start, c.end}]
			}))
		case !hasPlaceholder(byWords[ind.ID]):
			res.Missing = append(res.Missing, ind.ID)
		}
	}

	res.Placeholders, res.PlaceholdersOmitted = placeholders(text, idx, placed)
	return res
}

// decide makes one indicator's candidates a figure when they agree and an
// ambiguity when they do not.
func decide(res *Result, text string, idx *runeIndex, id string, nums []candidate) {
	slices.SortFunc(nums, func(a, b candidate) int { return a.start - b.start })
	if allEqual(nums) {
		res.Figures[id] = figure(text, idx, nums[0])
		return
	}
	a := Ambiguity{ID: id, Reason: ReasonConflict, Count: len(nums)}
	for _, c := range nums[:min(len(nums), maxCandidates)] {
		a.Candidates = append(a.Candidates, figure(text, idx, c))
	}
	res.Ambiguous = append(res.Ambiguous, a)
}

// sharedAmbiguity is an indicator whose only figures other indicators
// claimed too; owners names who claimed each.
func sharedAmbiguity(text string, idx *runeIndex, id string, cs []candidate, owners func(candidate) []string) Ambiguity {
	a := Ambiguity{ID: id, Reason: ReasonShared}
	for _, c := range cs {
		if c.num.Placeholder {
			continue
		}
		if a.Count++; a.Count > maxCandidates {
			continue
		}
		a.Candidates = append(a.Candidates, figure(text, idx, c))
		for _, o := range owners(c) {
			if o != id && !slices.Contains(a.Others, o) {
				a.Others = append(a.Others, o)
			}
		}
	}
	return a
}

// Bounds on what one extraction lists: a real report has a few hundred
// placeholders at most, and an ambiguity is read by a person.
const (
	maxPlaceholders = 2000
	maxCandidates   = 10
)

func allEqual(cs []candidate) bool {
	for _, c := range cs[1:] {
		if c.value != cs[0].value {
			return false
		}
	}
	return true
}

func hasNumber(cs []candidate) bool {
	return slices.ContainsFunc(cs, func(c candidate) bool { return !c.num.Placeholder })
}

func hasPlaceholder(cs []candidate) bool {
	return slices.ContainsFunc(cs, func(c candidate) bool { return c.num.Placeholder })
}

// Retrying after a match that is no figure: only a short wrong match is
// searched again for a right one inside it, and only so many times per
// pattern, so that text made of a pattern's words cannot make extraction
// quadratic. A longer wrong match is skipped whole.
const (
	retrySpan   = 192 // bytes: about 64 Chinese characters
	retryBudget = 256 // retries per pattern and text
)

// appendMatches adds every capture of re in text that reads as a figure.
// After a short capture that does not, the search resumes one character
// after the match's start, so that a wrong match ("竣工验收…幼儿园竣工4所")
// cannot hide a right one inside it.
func appendMatches(cands []candidate, ind *rules.Indicator, re *regexp.Regexp, text string) []candidate {
	unitScale := scaleOf(ind.Unit)
	retries := 0
	for pos := 0; pos <= len(text); {
		m := re.FindStringSubmatchIndex(text[pos:])
		if m == nil {
			break
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += pos
			}
		}
		next := m[1]
		if m[1] == m[0] { // an empty match must still move on
			next = m[0] + 1
		}
		if c, ok := readCapture(ind, unitScale, text, m); ok {
			cands = append(cands, c)
		} else if m[0] < len(text) && m[1]-m[0] <= retrySpan && retries < retryBudget {
			retries++
			_, size := utf8.DecodeRuneInString(text[m[0]:])
			next = m[0] + size
		}
		pos = next
	}
	return cands
}

// readCapture reads the value of one match.
func readCapture(ind *rules.Indicator, unitScale int, text string, m []int) (candidate, bool) {
	if len(m) < 4 || m[2] < 0 || m[3] <= m[2] {
		return candidate{}, false
	}
	num, err := ParseNumber(text[m[2]:m[3]])
	if err != nil {
		return candidate{}, false
	}
	// 万 or 亿 written between the capture and the rest of the match
	// ("投入资金(\S+?)万元") scales the value too.
	after := text[m[3]:m[1]]
	shift := 0
	switch {
	case strings.HasPrefix(after, "万"):
		shift = 4
	case strings.HasPrefix(after, "亿"):
		shift = 8
	}
	pctUnit := ind.Type == rules.Percent || strings.Contains(ind.Unit, "百分点")
	if pctUnit && (num.Scaled || shift > 0) {
		return candidate{}, false
	}
	if num.Percent && !pctUnit {
		return candidate{}, false
	}
	// A qualifier written right after the match ("95%以上").
	rest := text[m[1]:]
	for _, q := range []string{"以上", "左右", "以下"} {
		if strings.HasPrefix(rest, q) && !slices.Contains(num.Qualifiers, q) {
			num.Qualifiers = append(num.Qualifiers, q)
		}
	}
	c := candidate{ind: ind, num: num, start: m[2], end: m[3], mStart: m[0], mEnd: m[1]}
	if !num.Placeholder {
		c.value = num.In(unitScale - shift)
		if math.IsNaN(c.value) || math.IsInf(c.value, 0) {
			return candidate{}, false
		}
	}
	return c, true
}

func figure(text string, idx *runeIndex, c candidate) Figure {
	return Figure{
		Value: c.value, Raw: text[c.start:c.end], Note: c.num.Note(),
		Snippet: snippet(text, idx, c.mStart, c.mEnd),
		Offset:  idx.at(c.start), Length: idx.at(c.end) - idx.at(c.start),
	}
}

// placeholderRE finds template leftovers: two or more placeholder marks.
var placeholderRE = regexp.MustCompile(`(?:[xXｘＸ×]{2,}|[*＊]{2,}|[?？]{2,}|[_＿]{3,})`)

// placeholders lists every leftover in text (up to maxPlaceholders, and
// how many more there were), with the indicator whose placeholder capture
// holds it. Latin words ("xxx.com", "Xbox") are not leftovers: a mark run
// touching an ASCII letter or digit is skipped.
func placeholders(text string, idx *runeIndex, placed map[[2]int]string) ([]Placeholder, int) {
	spans := make([][2]int, 0, len(placed))
	for span := range placed {
		spans = append(spans, span)
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	out := []Placeholder{}
	omitted := 0
	for _, m := range placeholderRE.FindAllStringIndex(text, -1) {
		if m[0] > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:m[0]]); isASCIIAlnum(r) {
				continue
			}
		}
		if r, _ := utf8.DecodeRuneInString(text[m[1]:]); isASCIIAlnum(r) {
			continue
		}
		if len(out) == maxPlaceholders {
			omitted++
			continue
		}
		// The capture holding the mark starts at or before it: the last
		// capture to start there is the one looked at.
		id := ""
		i, _ := slices.BinarySearchFunc(spans, m[0], func(s [2]int, x int) int {
			if s[0] <= x {
				return -1
			}
			return 1
		})
		if i > 0 && spans[i-1][0] <= m[0] && m[1] <= spans[i-1][1] {
			id = placed[spans[i-1]]
		}
		out = append(out, Placeholder{
			ID: id, Raw: text[m[0]:m[1]], Snippet: snippet(text, idx, m[0], m[1]),
			Offset: idx.at(m[0]), Length: idx.at(m[1]) - idx.at(m[0]),
		})
	}
	return out, omitted
}

// isASCIIAlnum reports whether r belongs to a Latin word, a number or an
// address ("xxx.com", "x_y"), which placeholder marks next to it are part of.
func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@/-", r)
}

// snippet is the text of [start, end) with a little context on each side,
// on one line.
func snippet(text string, idx *runeIndex, start, end int) string {
	from, to := start, end
	for i := 0; i < snippetContext && from > 0; i++ {
		r, size := utf8.DecodeLastRuneInString(text[:from])
		if r == '\n' {
			break
		}
		from -= size
	}
	for i := 0; i < snippetContext && to < len(text); i++ {
		r, size := utf8.DecodeRuneInString(text[to:])
		if r == '\n' {
			break
		}
		to += size
	}
	s := strings.TrimSpace(text[from:to])
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return s
}

// runeIndex converts byte offsets to code point offsets, counting an
// invalid byte as one code point, as range over a string does.
type runeIndex struct {
	at32 []int32 // at32[b] is the code point offset of byte offset b
}

func newRuneIndex(text string) *runeIndex {
	at := make([]int32, len(text)+1)
	n, prev := int32(0), 0
	for b := range text {
		for k := prev + 1; k < b; k++ { // bytes inside the previous rune
			at[k] = at[prev]
		}
		at[b], prev = n, b
		n++
	}
	for k := prev + 1; k < len(text); k++ {
		at[k] = at[prev]
	}
	at[len(text)] = n
	return &runeIndex{at32: at}
}

// at is the code point offset of byte offset b.
func (x *runeIndex) at(b int) int {
	if b <= 0 {
		return 0
	}
	return int(x.at32[min(b, len(x.at32)-1)])
}
