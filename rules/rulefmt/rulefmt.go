package rulefmt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File is one form file as written, before compilation. Every value keeps
// the position it was read from so that compile errors can point at it.
type File struct {
	Name     string
	Digest   [32]byte // sha256 of the file's bytes
	Form     string
	FormPos  Pos
	Title    string
	TitlePos Pos
	// PeriodScheme names how the form's periods are written (package period).
	PeriodScheme Str
	Indicators   []IndicatorDef
	Rules        []RuleDef
	// Hierarchy and Jumps are the batch checks of the audit.
	Hierarchy []HierarchyDef
	Jumps     []JumpDef
}

// IndicatorDef is an indicator as written in a form file.
type IndicatorDef struct {
	Pos      Pos
	ID       Str
	Name     Str
	Unit     string
	Type     Str
	Required bool
	Min, Max *float64
	MinPos   Pos
	Section  string
	Patterns []Str
	// Aliases are other words reports use for the indicator (extract/).
	Aliases []Str
}

// RuleDef is a rule as written in a form file.
type RuleDef struct {
	Pos      Pos
	ID       Str
	Name     Str
	Severity Str
	Expr     Str
	When     Str
	Message  Str
	Tags     []string
	Tests    []TestDef
	// Scope is "row" (the default) or "batch".
	Scope Str
}

// TestDef is one rule test case as written in a form file.
type TestDef struct {
	Pos          Pos
	Name         string
	Figures      map[string]any
	FigurePos    map[string]Pos
	Previous     map[string]any
	PreviousPos  map[string]Pos
	Explanations map[string]string
	Expect       Str
}

// HierarchyDef is a hierarchy check as written in a form file: the total
// unit's figures must equal the sum of its parts.
type HierarchyDef struct {
	Pos              Pos
	ID               Str
	Name             Str
	Severity         Str
	Total            Str
	Parts            []Str
	Indicators       []Str
	Tolerance        *float64
	TolerancePercent *float64
}

// JumpDef is a period-over-period jump threshold as written in a form file.
type JumpDef struct {
	Pos        Pos
	ID         Str
	Name       Str
	Severity   Str
	Indicators []Str
	MaxChange  *float64
	MaxPoints  *float64
	MinValue   *float64
}

// Str is a string value and where its text starts in the file. Indent is
// the column of continuation lines for literal blocks (0 otherwise).
// Verbatim says the text stands in the file exactly as decoded (no folding
// or escapes), so a place inside it maps back to a file position.
type Str struct {
	Value    string
	Pos      Pos
	Indent   int
	Verbatim bool
}

// Given reports whether the value was written in the file. A missing key,
// or a value of the wrong kind, leaves the zero Str: the parser has already
// reported it, so later stages do not report it again.
func (s Str) Given() bool { return s.Pos.Line > 0 }

// At is the file position of the n-th rune of the value; for a value that
// is not verbatim it is the value's start, the best place that is certain.
func (s Str) At(n int) Pos {
	p := s.Pos
	if !s.Verbatim {
		return p
	}
	line, col := 0, 0
	for i, r := range []rune(s.Value) {
		if i == n {
			break
		}
		if r == '\n' {
			line, col = line+1, 0
		} else {
			col++
		}
	}
	if line > 0 {
		p.Line += line
		p.Col = s.Indent + col
	} else {
		p.Col += col
	}
	return p
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser, as opposed to its
// scanner; their line numbers count from 0.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// Parse decodes one form file strictly and returns every problem found,
// each with its position, as an ErrorList. Unless the YAML itself cannot be
// read, it also returns the File with what could be decoded, so that the
// compiler can report the expression problems of the same file in the same
// load; such a File must not be used for anything else.
func Parse(name string, data []byte) (*File, error) {
	f := &File{Name: name, Digest: sha256.Sum256(data)}
	d := &decoder{file: name, src: data}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(Pos{name, 1, 1}, "empty file: expected a form")
			return nil, d.list.Err()
		}
		d.yamlError(err)
		return nil, d.list.Err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.add(d.pos(&extra), "only one YAML document is allowed per file")
	} else if !errors.Is(err, io.EOF) {
		d.yamlError(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	d.mapping(root, "form file", []string{"form"}, map[string]func(*yaml.Node){
		"form": func(n *yaml.Node) { s := d.str(n); f.Form, f.FormPos = s.Value, s.Pos },
		"title": func(n *yaml.Node) {
			s := d.str(n)
			f.Title, f.TitlePos = s.Value, s.Pos
		},
		"period_scheme": func(n *yaml.Node) { f.PeriodScheme = d.str(n) },
		"indicators": func(n *yaml.Node) {
			d.seq(n, "indicators", func(item *yaml.Node) { f.Indicators = append(f.Indicators, d.indicator(item)) })
		},
		"rules": func(n *yaml.Node) {
			d.seq(n, "rules", func(item *yaml.Node) { f.Rules = append(f.Rules, d.rule(item)) })
		},
		"hierarchy": func(n *yaml.Node) {
			d.seq(n, "hierarchy", func(item *yaml.Node) { f.Hierarchy = append(f.Hierarchy, d.hierarchy(item)) })
		},
		"jumps": func(n *yaml.Node) {
			d.seq(n, "jumps", func(item *yaml.Node) { f.Jumps = append(f.Jumps, d.jump(item)) })
		},
	})
	return f, d.list.Err()
}

type decoder struct {
	file string
	src  []byte
	list ErrorList
}

func (d *decoder) add(p Pos, format string, args ...any) { d.list.Add(p, format, args...) }

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{d.file, n.Line, n.Column} }

func (d *decoder) yamlError(err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, m := range te.Errors {
			d.yamlMsg(m)
		}
		return
	}
	d.yamlMsg(err.Error())
}

func (d *decoder) yamlMsg(msg string) {
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if parserProblems[m[2]] {
			// yaml.v3 numbers the lines of parser (not scanner) errors
			// from 0: it reports where the broken collection starts.
			line++
		}
		d.add(Pos{d.file, line, 1}, "YAML syntax: %s", m[2])
		return
	}
	d.add(Pos{d.file, 1, 1}, "YAML syntax: %s", strings.TrimPrefix(msg, "yaml: "))
}

// mapping walks a mapping node, calling the handler of each known key and
// reporting unknown, duplicate and missing required keys.
func (d *decoder) mapping(n *yaml.Node, what string, required []string, fields map[string]func(*yaml.Node)) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		d.add(d.pos(n), "%s: expected a mapping, got %s", what, kindName(n))
		return
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			d.add(d.pos(k), "%s: keys must be strings", what)
			continue
		}
		if key == "<<" {
			d.add(d.pos(k), "%s: merge keys are not supported", what)
			continue
		}
		h, ok := fields[key]
		if !ok {
			d.add(d.pos(k), "%s: unknown key %q", what, key)
			continue
		}
		if seen[key] {
			d.add(d.pos(k), "%s: duplicate key %q", what, key)
			continue
		}
		seen[key] = true
		h(resolveAlias(v))
	}
	for _, r := range required {
		if !seen[r] {
			d.add(d.pos(n), "%s: missing required key %q", what, r)
		}
	}
}

func (d *decoder) seq(n *yaml.Node, what string, item func(*yaml.Node)) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.add(d.pos(n), "%s: expected a list, got %s", what, kindName(n))
		return
	}
	for _, c := range n.Content {
		item(resolveAlias(c))
	}
}

func (d *decoder) str(n *yaml.Node) Str {
	s := Str{Value: n.Value, Pos: d.pos(n)}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.add(d.pos(n), "expected a string, got %s", kindName(n))
		return Str{}
	}
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		s.Pos.Col++
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The text starts on the next line at its indentation.
		s.Pos.Line++
		s.Indent = d.indentOf(n.Line + 1)
		s.Pos.Col = s.Indent
	}
	s.Verbatim = n.Style != yaml.FoldedStyle && d.standsAt(s)
	return s
}

// standsAt reports whether the first line of s's value is written in the
// source exactly at s.Pos; folded plain scalars and escapes make it differ.
func (d *decoder) standsAt(s Str) bool {
	lines := bytes.Split(d.src, []byte("\n"))
	if s.Pos.Line < 1 || s.Pos.Line > len(lines) {
		return false
	}
	src := []rune(string(lines[s.Pos.Line-1]))
	if s.Pos.Col < 1 || s.Pos.Col-1 > len(src) {
		return false
	}
	first, _, multi := strings.Cut(s.Value, "\n")
	rest := string(src[s.Pos.Col-1:])
	if multi {
		return rest == first || strings.TrimRight(rest, " \t") == first
	}
	// A one-line value must end where the line (or its quote) ends, or
	// it continues on the next line folded.
	if !strings.HasPrefix(rest, first) {
		return false
	}
	tail := strings.TrimSpace(rest[len(first):])
	return tail == "" || tail == "'" || tail == "\"" || strings.HasPrefix(tail, "#") ||
		strings.HasPrefix(tail, ",") || strings.HasPrefix(tail, "}")
}

// indentOf returns the 1-based column of the first non-blank character of
// the given 1-based line of the source.
func (d *decoder) indentOf(line int) int {
	lines := bytes.Split(d.src, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 1
	}
	l := lines[line-1]
	return len(l) - len(bytes.TrimLeft(l, " \t")) + 1
}

func (d *decoder) number(n *yaml.Node) *float64 {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err == nil {
			return &v
		}
	}
	d.add(d.pos(n), "expected a number, got %s", kindName(n))
	return nil
}

func (d *decoder) boolean(n *yaml.Node) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	}
	d.add(d.pos(n), "expected true or false, got %s", kindName(n))
	return false
}

func (d *decoder) strings(n *yaml.Node, what string) []string {
	var out []string
	d.seq(n, what, func(c *yaml.Node) { out = append(out, d.str(c).Value) })
	return out
}

// values decodes a mapping of names to figures: numbers, strings (kept as
// written, so tests can send "xx" or "1,200") or null.
func (d *decoder) values(n *yaml.Node, what string) (map[string]any, map[string]Pos) {
	vals, pos := map[string]any{}, map[string]Pos{}
	if n.Kind != yaml.MappingNode {
		d.add(d.pos(n), "%s: expected a mapping, got %s", what, kindName(n))
		return vals, pos
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		if _, dup := vals[k.Value]; dup {
			d.add(d.pos(k), "%s: duplicate key %q", what, k.Value)
			continue
		}
		pos[k.Value] = d.pos(k)
		switch {
		case v.Kind != yaml.ScalarNode:
			d.add(d.pos(v), "%s: %s: expected a number or string, got %s", what, k.Value, kindName(v))
		case v.Tag == "!!null":
			vals[k.Value] = nil
		case v.Tag == "!!int" || v.Tag == "!!float":
			if p := d.number(v); p != nil {
				vals[k.Value] = *p
			}
		default:
			vals[k.Value] = v.Value
		}
	}
	return vals, pos
}

func (d *decoder) indicator(n *yaml.Node) IndicatorDef {
	ind := IndicatorDef{Pos: d.pos(n)}
	d.mapping(n, "indicator", []string{"id", "name", "type"}, map[string]func(*yaml.Node){
		"id":       func(v *yaml.Node) { ind.ID = d.str(v) },
		"name":     func(v *yaml.Node) { ind.Name = d.str(v) },
		"unit":     func(v *yaml.Node) { ind.Unit = d.str(v).Value },
		"type":     func(v *yaml.Node) { ind.Type = d.str(v) },
		"required": func(v *yaml.Node) { ind.Required = d.boolean(v) },
		"min":      func(v *yaml.Node) { ind.Min, ind.MinPos = d.number(v), d.pos(v) },
		"max":      func(v *yaml.Node) { ind.Max = d.number(v) },
		"section":  func(v *yaml.Node) { ind.Section = d.str(v).Value },
		"patterns": func(v *yaml.Node) {
			d.seq(v, "patterns", func(c *yaml.Node) { ind.Patterns = append(ind.Patterns, d.str(c)) })
		},
		"aliases": func(v *yaml.Node) {
			d.seq(v, "aliases", func(c *yaml.Node) { ind.Aliases = append(ind.Aliases, d.str(c)) })
		},
	})
	return ind
}

func (d *decoder) rule(n *yaml.Node) RuleDef {
	r := RuleDef{Pos: d.pos(n)}
	d.mapping(n, "rule", []string{"id", "name", "severity", "expr", "message"}, map[string]func(*yaml.Node){
		"id":       func(v *yaml.Node) { r.ID = d.str(v) },
		"name":     func(v *yaml.Node) { r.Name = d.str(v) },
		"severity": func(v *yaml.Node) { r.Severity = d.str(v) },
		"expr":     func(v *yaml.Node) { r.Expr = d.str(v) },
		"when":     func(v *yaml.Node) { r.When = d.str(v) },
		"message":  func(v *yaml.Node) { r.Message = d.str(v) },
		"tags":     func(v *yaml.Node) { r.Tags = d.strings(v, "tags") },
		"scope":    func(v *yaml.Node) { r.Scope = d.str(v) },
		"tests": func(v *yaml.Node) {
			d.seq(v, "tests", func(item *yaml.Node) { r.Tests = append(r.Tests, d.test(item)) })
		},
	})
	return r
}

func (d *decoder) test(n *yaml.Node) TestDef {
	t := TestDef{Pos: d.pos(n)}
	d.mapping(n, "test", []string{"expect"}, map[string]func(*yaml.Node){
		"name":     func(v *yaml.Node) { t.Name = d.str(v).Value },
		"figures":  func(v *yaml.Node) { t.Figures, t.FigurePos = d.values(v, "figures") },
		"previous": func(v *yaml.Node) { t.Previous, t.PreviousPos = d.values(v, "previous") },
		"explanations": func(v *yaml.Node) {
			vals, _ := d.values(v, "explanations")
			t.Explanations = make(map[string]string, len(vals))
			for k, x := range vals {
				t.Explanations[k] = fmt.Sprint(x)
			}
		},
		"expect": func(v *yaml.Node) { t.Expect = d.str(v) },
	})
	return t
}

func (d *decoder) hierarchy(n *yaml.Node) HierarchyDef {
	h := HierarchyDef{Pos: d.pos(n)}
	d.mapping(n, "hierarchy", []string{"id", "name", "severity", "total", "indicators"}, map[string]func(*yaml.Node){
		"id":       func(v *yaml.Node) { h.ID = d.str(v) },
		"name":     func(v *yaml.Node) { h.Name = d.str(v) },
		"severity": func(v *yaml.Node) { h.Severity = d.str(v) },
		"total":    func(v *yaml.Node) { h.Total = d.str(v) },
		"parts": func(v *yaml.Node) {
			d.seq(v, "parts", func(c *yaml.Node) { h.Parts = append(h.Parts, d.str(c)) })
		},
		"indicators": func(v *yaml.Node) {
			d.seq(v, "indicators", func(c *yaml.Node) { h.Indicators = append(h.Indicators, d.str(c)) })
		},
		"tolerance":         func(v *yaml.Node) { h.Tolerance = d.number(v) },
		"tolerance_percent": func(v *yaml.Node) { h.TolerancePercent = d.number(v) },
	})
	return h
}

func (d *decoder) jump(n *yaml.Node) JumpDef {
	j := JumpDef{Pos: d.pos(n)}
	d.mapping(n, "jump", []string{"id", "name", "severity", "indicators"}, map[string]func(*yaml.Node){
		"id":       func(v *yaml.Node) { j.ID = d.str(v) },
		"name":     func(v *yaml.Node) { j.Name = d.str(v) },
		"severity": func(v *yaml.Node) { j.Severity = d.str(v) },
		"indicators": func(v *yaml.Node) {
			d.seq(v, "indicators", func(c *yaml.Node) { j.Indicators = append(j.Indicators, d.str(c)) })
		},
		"max_change": func(v *yaml.Node) { j.MaxChange = d.number(v) },
		"max_points": func(v *yaml.Node) { j.MaxPoints = d.number(v) },
		"min_value":  func(v *yaml.Node) { j.MinValue = d.number(v) },
	})
	return j
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("the string %q", n.Value)
	}
	return "an unknown node"
}
