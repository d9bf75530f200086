package rules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
)

// Type is the kind of value an indicator holds.
type Type int

// Indicator types.
const (
	Integer Type = iota + 1
	Number
	Percent
)

var typeNames = map[Type]string{Integer: "integer", Number: "number", Percent: "percent"}

func (t Type) String() string { return typeNames[t] }

// MarshalText writes the type as it is spelled in form files.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Severity says how much a violated rule matters.
type Severity int

// Severities, most severe first: this is the order violations are listed in.
const (
	SevError Severity = iota + 1
	SevWarning
	SevInfo
)

var sevNames = map[Severity]string{SevError: "error", SevWarning: "warning", SevInfo: "info"}

func (s Severity) String() string { return sevNames[s] }

// MarshalText writes the severity as it is spelled in form files.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity spelled as in form files.
func (s *Severity) UnmarshalText(b []byte) error {
	for k, v := range sevNames {
		if v == string(b) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", b)
}

// Expect is the outcome a rule test expects.
type Expect string

// Test outcomes.
const (
	ExpectPass Expect = "pass"
	ExpectFail Expect = "fail"
	ExpectSkip Expect = "skip"
)

// Ruleset is every form loaded from one rules directory. It is immutable once
// built and safe to share between goroutines.
type Ruleset struct {
	// Digest identifies the content of every file the ruleset was built from.
	Digest string
	Forms  map[string]*Form
	Files  []string
}

// Form returns the form with the given id.
func (rs *Ruleset) Form(id string) (*Form, bool) {
	f, ok := rs.Forms[id]
	return f, ok
}

// FormIDs returns the form ids in sorted order.
func (rs *Ruleset) FormIDs() []string {
	ids := make([]string, 0, len(rs.Forms))
	for id := range rs.Forms {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Form is one compiled form: its indicators and rules.
type Form struct {
	ID    string
	Title string
	// Digest identifies the content of the files this form was built from;
	// it is the version stamped on every result.
	Digest string
	// PeriodScheme is the form's period_scheme ("" is free text).
	PeriodScheme string
	Indicators   []*Indicator
	Rules        []*Rule
	// BatchRules are the rules with scope batch: evaluated by package audit
	// over all rows of a period, never by the checker. Hierarchies and
	// Jumps are the form's other batch checks.
	BatchRules  []*Rule
	Hierarchies []*Hierarchy
	Jumps       []*Jump
	byKey       map[string]*Indicator
	byID        []*Indicator
	idPos       []int // by indicator index: its place in byID
	ruleByID    map[string]*Rule
}

// IndicatorsByID lists the indicators in the byte order of their ids, the
// order in which a canonical encoding of the figures lists them. The
// slice is shared: do not modify it.
func (f *Form) IndicatorsByID() []*Indicator { return f.byID }

// Indicator finds an indicator by its id or its Chinese name.
func (f *Form) Indicator(key string) (*Indicator, bool) {
	ind, ok := f.byKey[key]
	return ind, ok
}

// Rule finds a rule by id.
func (f *Form) Rule(id string) (*Rule, bool) {
	r, ok := f.ruleByID[id]
	return r, ok
}

// Indicator is one figure of a form.
type Indicator struct {
	// Index is the indicator's position in Form.Indicators.
	Index    int
	ID       string
	Name     string
	Unit     string
	Type     Type
	Required bool
	Min, Max *float64
	Section  string
	// Patterns find the figure in report text; each has exactly one
	// capturing group, around the value.
	Patterns []*regexp.Regexp
	// Aliases are the other words reports use for it; extract/ reads
	// their syntax.
	Aliases []string
	// PrevKey is the name the previous period's value has in the
	// evaluation environment ("previous.<id>").
	PrevKey string
	Pos     Pos
}

// MarshalJSON describes the indicator for API clients.
func (ind *Indicator) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		Unit     string   `json:"unit,omitempty"`
		Type     Type     `json:"type"`
		Required bool     `json:"required"`
		Min      *float64 `json:"min,omitempty"`
		Max      *float64 `json:"max,omitempty"`
		Section  string   `json:"section,omitempty"`
	}{ind.ID, ind.Name, ind.Unit, ind.Type, ind.Required, ind.Min, ind.Max, ind.Section})
}

// Rule is one compiled rule.
type Rule struct {
	ID       string
	Name     string
	Severity Severity
	Expr     string
	When     string
	Message  *Template
	Tags     []string
	// Scope is ScopeRow or ScopeBatch.
	Scope string
	// Uses are the current-period indicators the rule reads (in expr, when
	// and message), in form order; UsesPrevious those read as previous.*.
	Uses         []*Indicator
	UsesPrevious []*Indicator
	Tests        []Test
	Pos          Pos
	// Cond evaluates Expr; WhenCond evaluates When and is nil when the rule
	// has no precondition. Both are safe for concurrent use.
	Cond     *Cond
	WhenCond *Cond
	// ReadsRows marks a batch rule that reads rows other than through
	// values(rows, "name"): its period needs a map per row (see
	// Form.EvalBatch).
	ReadsRows bool
}

// Test is a rule test case with its figures resolved to indicator ids.
type Test struct {
	Name         string
	Figures      map[string]any
	Previous     map[string]any
	Explanations map[string]string
	Expect       Expect
	Pos          Pos
}
