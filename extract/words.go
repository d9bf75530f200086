package extract

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/figcheck/figcheck/rules"
)

// Finding figures by what they are, not by one sentence.
//
// A report states a figure as a number with a unit in a clause that names
// what is counted ("新开工幼儿园7所", "改善18所学校办学条件"). The words pass
// splits the text into sentences (。；！？ and line ends) and clauses (also
// ，、：), reads every number followed by a unit one of the form's
// indicators counts in, and gives each such mention to the indicator whose
// words fit it best:
//
//   - an indicator's words are its name without the trailing measure word
//     ("金牌数" → 金牌) and its aliases from the form file;
//   - an alias is one or more keywords separated by spaces, all of which
//     must stand in the mention's clause, before the number or after the
//     unit ("教研 活动", "学校 配备 报警"); a keyword written ~word must
//     stand earlier in the same sentence instead (the context that tells
//     "覆盖党员干部3200人次" after a count of study sessions from the same
//     words after a count of integrity lectures: `覆盖 ~学习`);
//   - the unit must be the indicator's own, up to scale (人次 for 万人次,
//     元 and 亿元 for 万元) and the synonyms 人/名 and 场/场次;
//   - the fit is the number of keyword characters in the clause; ties go
//     to the alias whose context stands nearest; a tie left after that is
//     an ambiguity, reported, never guessed.
//
// It declines rather than guesses: a number after 分别 or 各 (one number
// for several things), a keyword separated from the number by 和/与/及
// (the count covers something else too), a change against last year
// ("较去年增加1.2万人次") for an indicator that is not a change, an ordinal
// (第3) and a number whose best fit is an indicator its patterns already
// found are all left alone.

// maxKeywordGap is how far, in code points, a clause keyword may stand from
// the number (before it) or from the unit (after it).
const maxKeywordGap = 16

// How much text around a mention is read: its context stands in at most
// maxContextClauses clauses before it, and only the windowBytes of each
// clause nearest to it count, so that no text makes the pass quadratic.
const (
	maxContextClauses = 8
	windowBytes       = 240
)

// lastBytes is the end of s, at most n bytes, cut at a rune boundary.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// firstBytes is the start of s, at most n bytes, cut at a rune boundary.
func firstBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// measureSuffixes are the measure words an indicator's name ends with and
// report text rarely repeats ("检查学校数" is written 检查学校12所).
var measureSuffixes = []string{"人数", "次数", "场数", "节数", "份数", "条数", "项数", "人次", "场次", "长度", "数"}

// unitSynonyms folds the units reports use interchangeably.
var unitSynonyms = map[string]string{"名": "人", "场次": "场", "百分点": "个百分点", "％": "%"}

// alias is one way of naming an indicator: local keywords in the clause,
// context keywords earlier in the sentence.
type alias struct {
	local, context []string
	chars          int // code points of the local keywords
}

// wordIndicator is an indicator as the words pass sees it.
type wordIndicator struct {
	ind     *rules.Indicator
	base    string // unit without its scale, synonyms folded
	scale   int    // power of ten of the unit (4 for 万元)
	change  bool   // the indicator is a change against last year
	aliases []alias
}

// wordIndicators prepares f's indicators for the words pass.
func wordIndicators(f *rules.Form) []wordIndicator {
	out := make([]wordIndicator, 0, len(f.Indicators))
	for _, ind := range f.Indicators {
		base, scale := splitUnit(ind.Unit)
		if base == "" {
			continue
		}
		w := wordIndicator{ind: ind, base: base, scale: scale,
			change: strings.Contains(ind.Name, "较") || base == "个百分点"}
		stem := ind.Name
		for _, s := range measureSuffixes {
			if t, ok := strings.CutSuffix(stem, s); ok && utf8.RuneCountInString(t) >= 2 {
				stem = t
				break
			}
		}
		if !w.change {
			w.aliases = append(w.aliases, alias{local: []string{stem}, chars: utf8.RuneCountInString(stem)})
		}
		for _, a := range ind.Aliases {
			if al, ok := parseAlias(a); ok {
				w.aliases = append(w.aliases, al)
			}
		}
		out = append(out, w)
	}
	return out
}

func parseAlias(s string) (alias, bool) {
	var a alias
	for _, k := range strings.Fields(s) {
		if c, ok := strings.CutPrefix(k, "~"); ok {
			if c != "" {
				a.context = append(a.context, c)
			}
			continue
		}
		a.local = append(a.local, k)
		a.chars += utf8.RuneCountInString(k)
	}
	return a, len(a.local)+len(a.context) > 0
}

// splitUnit returns a unit without its 万/亿 prefix, synonyms folded, and
// the prefix's power of ten.
func splitUnit(u string) (string, int) {
	scale := 0
	switch {
	case strings.HasPrefix(u, "万") && u != "万":
		u, scale = strings.TrimPrefix(u, "万"), 4
	case strings.HasPrefix(u, "亿") && u != "亿":
		u, scale = strings.TrimPrefix(u, "亿"), 8
	}
	if s, ok := unitSynonyms[u]; ok {
		u = s
	}
	return u, scale
}

// mention is a number followed by a unit in the text (byte offsets).
type mention struct {
	start, end int // the number as written, qualifiers included
	unitEnd    int
	unit       string
	num        Number
	clause     int // index into the clause list
}

// clauseSpan is one clause; sentence numbers the sentence it belongs to.
type clauseSpan struct {
	start, end int
	sentence   int
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }

func isSentenceEnd(r rune) bool {
	return strings.ContainsRune("。；;！!？?\n\r", r)
}

func isClauseEnd(r rune) bool {
	return isSentenceEnd(r) || strings.ContainsRune("，,、：:", r)
}

// clauses splits text into clauses. A comma between digits belongs to a
// number ("3,200"), not to the sentence.
func clauses(text string) []clauseSpan {
	var out []clauseSpan
	start, sentence := 0, 0
	prev := rune(0)
	for i, r := range text {
		if !isClauseEnd(r) {
			prev = r
			continue
		}
		if r == ',' || r == '，' {
			if next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):]); isDigit(prev) && isDigit(next) {
				prev = r
				continue
			}
		}
		if i > start {
			out = append(out, clauseSpan{start, i, sentence})
		}
		start = i + utf8.RuneLen(r)
		if isSentenceEnd(r) {
			sentence++
		}
		prev = r
	}
	if start < len(text) {
		out = append(out, clauseSpan{start, len(text), sentence})
	}
	return out
}

// units lists every unit a mention may end with, longest first.
func mentionUnits(ws []wordIndicator) []string {
	seen := map[string]bool{}
	var out []string
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, w := range ws {
		bases := []string{w.base}
		for syn, b := range unitSynonyms {
			if b == w.base {
				bases = append(bases, syn)
			}
		}
		for _, b := range bases {
			add(b)
			if b != "%" && b != "个百分点" && b != "百分点" {
				add("万" + b)
				add("亿" + b)
			}
		}
	}
	// Longest first so that 人次 wins over 人 and 个百分点 over 个.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// timeAfterUnit are words that turn a counting unit into a span of time or
// an ordinal ("3个月", "2个工作日").
var timeAfterUnit = []string{"月", "工作日", "小时", "学期", "年度", "批次"}

// mentions finds every number followed by one of units in the clauses.
func mentions(text string, cls []clauseSpan, units []string) []mention {
	var out []mention
	for ci, c := range cls {
		s := text[c.start:c.end]
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isDigit(r) && !isPlaceholderRune(r) {
				i += size
				continue
			}
			if i > 0 {
				p, _ := utf8.DecodeLastRuneInString(s[:i])
				if p == '第' || p == '.' || p == '．' || isASCIIAlnum(p) && !isDigit(p) && p != '.' && p != '-' || isPlaceholderRune(p) {
					i = skipNumber(s, i)
					continue
				}
			}
			m, next, ok := readMention(s, i, units)
			if ok {
				m.start += c.start
				m.end += c.start
				m.unitEnd += c.start
				m.clause = ci
				out = append(out, m)
			}
			i = next
		}
	}
	return out
}

// skipNumber moves past the digits and separators at i.
func skipNumber(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isDigit(r) && !strings.ContainsRune(".．,，", r) && !isPlaceholderRune(r) {
			break
		}
		i += size
	}
	return i
}

// readMention reads a number at s[i:] and the unit after it. It returns the
// mention (offsets within s), where to go on, and whether it is one.
func readMention(s string, i int, units []string) (mention, int, bool) {
	j := i
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		switch {
		case isDigit(r) || r == '.' || r == '．':
		case (r == ',' || r == '，') && j > i:
			next, _ := utf8.DecodeRuneInString(s[j+size:])
			if !isDigit(next) {
				goto done
			}
		case isPlaceholderRune(r) && r != '?' && r != '？' && r != '_' && r != '＿':
		default:
			goto done
		}
		j += size
	}
done:
	end := j
	// Qualifiers and scale between the digits and the unit ("12余万").
	for _, w := range []string{"余", "多", "万", "亿", "余", "多"} {
		if strings.HasPrefix(s[end:], w) {
			end += len(w)
		}
	}
	// A table row read from a document may put the unit in a cell of its
	// own ("64\t所"): a little white space may stand before it.
	gapEnd := end
	for k := 0; k < 2 && gapEnd < len(s) && strings.ContainsAny(s[gapEnd:gapEnd+1], " \t"); k++ {
		gapEnd++
	}
	unit, unitStart := "", end
	for _, u := range units {
		if strings.HasPrefix(s[end:], u) {
			unit = u
			break
		}
		if gapEnd > end && strings.HasPrefix(s[gapEnd:], u) {
			unit, unitStart = u, gapEnd
			break
		}
	}
	// A scale word that was really the unit's own prefix ("万人次").
	for unit == "" && end > j {
		r, size := utf8.DecodeLastRuneInString(s[:end])
		if r != '万' && r != '亿' {
			break
		}
		end -= size
		unitStart = end
		for _, u := range units {
			if strings.HasPrefix(s[end:], u) {
				unit = u
				break
			}
		}
	}
	if unit == "" {
		return mention{}, max(j, i+1), false
	}
	unitEnd := unitStart + len(unit)
	for _, w := range timeAfterUnit {
		if strings.HasPrefix(s[unitEnd:], w) {
			return mention{}, unitEnd, false
		}
	}
	start := i
	for changed := true; changed; {
		changed = false
		for _, q := range prefixQualifiers {
			if strings.HasSuffix(s[:start], q) {
				start -= len(q)
				changed = true
				break
			}
		}
	}
	raw := s[start:end]
	if unit == "%" || unit == "％" {
		raw += "%"
	}
	for _, q := range []string{"以上", "左右", "以下"} {
		if strings.HasPrefix(s[unitEnd:], q) {
			raw += q
			break
		}
	}
	num, err := ParseNumber(raw)
	if err != nil {
		return mention{}, unitEnd, false
	}
	return mention{start: start, end: end, unitEnd: unitEnd, unit: unit, num: num}, unitEnd, true
}

// Words that make a clause's number something other than one indicator's
// count.
var (
	// joiners between a keyword and the number: the count covers more.
	joiners = []string{"和", "与", "及", "或", "并"}
	// againstLast: the number is a change against an earlier period.
	againstLast = []string{"较去年", "比去年", "较上年", "比上年", "同比", "环比", "较上半年", "较同期", "比同期"}
	// decrease words make a change negative.
	decrease = []string{"下降", "降低", "减少", "回落"}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// fit is how well one indicator fits one mention.
type fit struct {
	w     *wordIndicator
	local int // keyword code points in the clause
	dist  int // clauses back to the nearest context keyword; 1<<30 without context
	ctx   int // context keyword code points
	value float64
}

// better reports whether a fits the mention better than b, and whether
// they tie.
func compareFit(a, b fit) int {
	switch {
	case a.local != b.local:
		return a.local - b.local
	case a.dist != b.dist:
		return b.dist - a.dist
	}
	return a.ctx - b.ctx
}

const noContext = 1 << 30

// bestFits returns the indicators that fit m best (more than one is a tie).
func bestFits(text string, cls []clauseSpan, ms []mention, k int, ws []wordIndicator) []fit {
	m := ms[k]
	c := cls[m.clause]
	leadStart, tailEnd := c.start, c.end
	if k > 0 && ms[k-1].clause == m.clause {
		leadStart = ms[k-1].unitEnd
	}
	if k+1 < len(ms) && ms[k+1].clause == m.clause {
		tailEnd = ms[k+1].start
	}
	lead, tail := lastBytes(text[leadStart:m.start], windowBytes), firstBytes(text[m.unitEnd:tailEnd], windowBytes)
	if strings.Contains(lead, "分别") || strings.HasSuffix(strings.TrimSpace(lead), "各") {
		return nil
	}
	before := lastBytes(text[c.start:m.start], windowBytes)
	isChange := containsAny(before, againstLast)
	base, scale := splitUnit(m.unit)
	var best []fit
	for i := range ws {
		w := &ws[i]
		if w.base != base || w.change != isChange {
			continue
		}
		if base == "%" || base == "个百分点" {
			if m.num.Scaled {
				continue
			}
		}
		f, ok := fitOne(text, cls, m, lead, tail, w)
		if !ok {
			continue
		}
		f.value = m.num.In(w.scale - scale)
		if isChange && containsAny(before, decrease) {
			f.value = -f.value
		}
		switch {
		case len(best) == 0 || compareFit(f, best[0]) > 0:
			best = append(best[:0], f)
		case compareFit(f, best[0]) == 0:
			best = append(best, f)
		}
	}
	return best
}

// fitOne scores w's best alias against the mention.
func fitOne(text string, cls []clauseSpan, m mention, lead, tail string, w *wordIndicator) (fit, bool) {
	best, found := fit{w: w}, false
	for _, a := range w.aliases {
		if !localFound(a.local, lead, tail) {
			continue
		}
		f := fit{w: w, local: a.chars, dist: noContext}
		if len(a.context) > 0 {
			d, chars, ok := contextFound(text, cls, m, lead, a.context)
			if !ok {
				continue
			}
			f.dist, f.ctx = d, chars
		}
		if !found || compareFit(f, best) > 0 {
			best, found = f, true
		}
	}
	return best, found
}

// localFound reports whether every keyword stands in the lead (close enough
// to the number, no joiner in between) or in the tail (close to the unit).
func localFound(keys []string, lead, tail string) bool {
	for _, k := range keys {
		if i := strings.LastIndex(lead, k); i >= 0 {
			gap := lead[i+len(k):]
			if utf8.RuneCountInString(gap) <= maxKeywordGap && !containsAny(gap, joiners) {
				continue
			}
		}
		if i := strings.Index(tail, k); i >= 0 {
			gap := tail[:i]
			if utf8.RuneCountInString(gap) <= maxKeywordGap && !containsAny(gap, joiners) {
				continue
			}
		}
		return false
	}
	return true
}

// contextFound looks for every context keyword in the mention's lead or in
// the earlier clauses of its sentence; it returns how many clauses back the
// farthest one stands and their length.
func contextFound(text string, cls []clauseSpan, m mention, lead string, keys []string) (int, int, bool) {
	far, chars := 0, 0
	for _, k := range keys {
		d := -1
		if strings.Contains(lead, k) {
			d = 0
		}
		for j := m.clause - 1; d < 0 && j >= 0 && m.clause-j <= maxContextClauses && cls[j].sentence == cls[m.clause].sentence; j-- {
			if strings.Contains(lastBytes(text[cls[j].start:cls[j].end], windowBytes), k) {
				d = m.clause - j
			}
		}
		if d < 0 {
			return 0, 0, false
		}
		far = max(far, d)
		chars += utf8.RuneCountInString(k)
	}
	return far, chars, true
}

// wordsPass gives the numbers no pattern claimed to the indicators that fit
// them best. It returns each indicator's candidates, the candidates it tied
// for with others, and who tied for each span. A mention whose best fit is
// an indicator settled by its patterns goes to no one.
func wordsPass(f *rules.Form, text string, claimed []bool, settled map[string]bool) (map[string][]candidate, map[string][]candidate, map[[2]int][]string) {
	ws := wordIndicators(f)
	cls := clauses(text)
	ms := mentions(text, cls, mentionUnits(ws))
	byInd := map[string][]candidate{}
	shared := map[string][]candidate{}
	others := map[[2]int][]string{}
	for k, m := range ms {
		if slices.Contains(claimed[m.start:m.unitEnd], true) {
			continue
		}
		fits := bestFits(text, cls, ms, k, ws)
		if len(fits) == 0 || slices.ContainsFunc(fits, func(x fit) bool { return settled[x.w.ind.ID] }) {
			continue
		}
		span := [2]int{m.start, m.end}
		for _, x := range fits {
			c := candidate{ind: x.w.ind, num: m.num, start: m.start, end: m.end, mStart: m.start, mEnd: m.unitEnd, value: x.value}
			if math.IsNaN(c.value) || math.IsInf(c.value, 0) {
				continue
			}
			if len(fits) == 1 {
				byInd[x.w.ind.ID] = append(byInd[x.w.ind.ID], c)
				continue
			}
			shared[x.w.ind.ID] = append(shared[x.w.ind.ID], c)
			others[span] = append(others[span], x.w.ind.ID)
		}
	}
	return byInd, shared, others
}
