package checker

import "github.com/figcheck/figcheck/rules"

// Submission is one unit's figures for one period.
type Submission struct {
	Form   string `json:"form"`
	Unit   string `json:"unit"`
	Period string `json:"period"`
	// Figures maps indicator ids (or Chinese names) to values: JSON numbers
	// or strings as typed into a form.
	Figures map[string]any `json:"figures"`
	// Previous holds the same unit's figures for the prior period.
	Previous map[string]any `json:"previous,omitempty"`
	// Explanations maps warning rule ids to the unit's explanation.
	Explanations map[string]string `json:"explanations,omitempty"`
	// Text is report text to take the figures from, when Figures is empty
	// (the service extracts them with the form's patterns).
	Text string `json:"text,omitempty"`
}

// Verdicts.
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
)

// Built-in rule ids: problems found before any rule of the form runs.
const (
	BuiltinPlaceholder        = "builtin.placeholder"
	BuiltinType               = "builtin.type"
	BuiltinRange              = "builtin.range"
	BuiltinUnknownField       = "builtin.unknown_field"
	BuiltinDuplicateField     = "builtin.duplicate_field"
	BuiltinRequired           = "builtin.required"
	BuiltinUnknownExplanation = "builtin.unknown_explanation"
)

// Result is everything a check found.
type Result struct {
	CheckID    string      `json:"check_id"`
	Form       string      `json:"form"`
	Unit       string      `json:"unit"`
	Period     string      `json:"period"`
	Ruleset    string      `json:"ruleset"`
	Verdict    string      `json:"verdict"`
	Summary    Summary     `json:"summary"`
	Violations []Violation `json:"violations"`
	Skipped    []Skip      `json:"skipped"`
	// EvalErrors lists rules that could not be evaluated. They are neither
	// passed nor violated and do not change the verdict.
	EvalErrors []EvalError `json:"eval_errors"`
}

// Summary counts the outcome of every rule.
type Summary struct {
	Rules      int `json:"rules"`
	Evaluated  int `json:"evaluated"`
	Passed     int `json:"passed"`
	Errors     int `json:"errors"`
	Warnings   int `json:"warnings"`
	Infos      int `json:"infos"`
	Skipped    int `json:"skipped"`
	Explained  int `json:"explained"`
	EvalErrors int `json:"eval_errors"`
}

// Violation is a rule the figures break.
type Violation struct {
	Rule     string         `json:"rule"`
	Name     string         `json:"name"`
	Severity rules.Severity `json:"severity"`
	Message  string         `json:"message"`
	// Fields holds every figure the rule reads, by indicator id, with the
	// value submitted; previous-period figures are keyed "previous.<id>".
	Fields      map[string]any `json:"fields"`
	Explained   bool           `json:"explained,omitempty"`
	Explanation string         `json:"explanation,omitempty"`
	order       int            // the first field's place in the form, for sorting
	key         string         // the submitted key, the last tie-breaker
	// enc and figs, when set (by Render, for an encoder), are the
	// violated rule's encoding and the figures its fields are read from
	// instead of Fields.
	enc  *ruleJSON
	figs *Values
}

// Skip reasons.
const (
	SkipMissing   = "missing"   // a figure the rule reads is absent
	SkipInvalid   = "invalid"   // a figure the rule reads is not a valid number
	SkipCondition = "condition" // the rule's when is false
)

// Skip is a rule that was not evaluated, and why.
type Skip struct {
	Rule    string   `json:"rule"`
	Name    string   `json:"name"`
	Reason  string   `json:"reason"`
	Missing []string `json:"missing,omitempty"`
	Invalid []string `json:"invalid,omitempty"`
}

// EvalError is a rule whose evaluation failed.
type EvalError struct {
	Rule     string         `json:"rule"`
	Name     string         `json:"name"`
	Severity rules.Severity `json:"severity"`
	Error    string         `json:"error"`
	Fields   map[string]any `json:"fields"`
}
