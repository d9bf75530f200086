package checker

import (
	"slices"
	"strings"

	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/rules"
)

// FormJSON is what encoding a form's rules' violations needs of each rule,
// made once per form so that a batch report encodes row after row without
// quoting the same names or sorting the same fields again. It is read
// only: safe for concurrent use.
type FormJSON struct {
	rules map[*rules.Rule]*ruleJSON
}

// ruleJSON is one rule's part of a FormJSON.
type ruleJSON struct {
	// head is a violation's members before the message, encoded:
	// {"rule":…,"name":…,"severity":…
	head []byte
	// fields are the figures the rule reads, by key in sorted order (the
	// order Violation.EncodeJSON writes Fields in), each key quoted with
	// its colon.
	fields []jsonField
}

// jsonField is a figure a rule reads: its quoted key and colon, and where
// Values holds it.
type jsonField struct {
	key  string
	i    int
	prev bool
}

// NewFormJSON makes the encodings of f's rules' violations.
func NewFormJSON(f *rules.Form) *FormJSON {
	fj := &FormJSON{rules: make(map[*rules.Rule]*ruleJSON, len(f.Rules))}
	for _, rule := range f.Rules {
		fj.rules[rule] = newRuleJSON(rule)
	}
	return fj
}

// of is rule's encoding, made now for a rule not of the form fj was made
// for.
func (fj *FormJSON) of(rule *rules.Rule) *ruleJSON {
	if rj := fj.rules[rule]; rj != nil {
		return rj
	}
	return newRuleJSON(rule)
}

func newRuleJSON(rule *rules.Rule) *ruleJSON {
	var e jsonenc.Encoder
	encodeRuleHead(&e, rule.ID, rule.Name, rule.Severity)
	rj := &ruleJSON{head: e.B}
	eachField(rule, func(key string, i int, prev bool) { rj.fields = append(rj.fields, jsonField{key, i, prev}) })
	slices.SortFunc(rj.fields, func(a, b jsonField) int { return strings.Compare(a.key, b.key) })
	for k := range rj.fields {
		rj.fields[k].key = string(jsonenc.AppendString(nil, rj.fields[k].key)) + ":"
	}
	return rj
}
