package decisionlog

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	lru "github.com/hashicorp/golang-lru/v2/simplelru"
)

// Sources: which endpoint asked for a check.
const (
	SourceCheck = "check"
	SourceBatch = "batch"
	SourceAudit = "audit"
)

// Entry is one answered check.
type Entry struct {
	// ID is unique to this entry (a check answered twice gets two ids);
	// sinks and readers use it to never keep an entry twice.
	ID      string    `json:"id"`
	CheckID string    `json:"check_id"`
	Time    time.Time `json:"time"`
	Source  string    `json:"source"`
	Form    string    `json:"form"`
	Unit    string    `json:"unit"`
	Period  string    `json:"period"`
	// Ruleset is the digest of the form version the check ran.
	Ruleset string `json:"ruleset"`
	// Submission is the hex sha256 of the submission (checker.SubmissionDigest).
	Submission string         `json:"submission"`
	Verdict    string         `json:"verdict"`
	Violated   []Violation    `json:"violated"`
	Skipped    []string       `json:"skipped,omitempty"`
	Figures    map[string]any `json:"figures"`
	// Actor and Role say who asked: the token's name and role.
	Actor  string `json:"actor"`
	Role   string `json:"role"`
	Cached bool   `json:"cached,omitempty"`
	// Omitted says what the log summarised to keep the entry bounded
	// (Limits); nil when it kept everything.
	Omitted *Omitted `json:"omitted,omitempty"`
	// Unreadable is set, by a reader, on a stored record it could not read
	// in full; the other fields are what could be read of it.
	Unreadable *Unreadable `json:"unreadable,omitempty"`

	// Known reports whether the entry's form knows a figure's name; the
	// log keeps those figures in full and summarises the others (Limits).
	// Nil: every figure is known while there are at most 1024.
	Known func(key string) bool `json:"-"`

	result []byte        // the check's result JSON; parsed by the writer
	flush  chan struct{} // a flush marker, not an entry
}

// Violation is a rule the submission broke, with the figures it reads.
type Violation struct {
	Rule      string   `json:"rule"`
	Severity  string   `json:"severity"`
	Fields    []string `json:"fields,omitempty"`
	Explained bool     `json:"explained,omitempty"`
}

// NewID returns a random entry id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// WithResult attaches the check's result JSON (a checker.Result); the
// log's writer goroutine fills Violated and Skipped from it, so that the
// caller does not pay for decoding. The slice must not change afterwards.
func (e Entry) WithResult(resultJSON []byte) Entry {
	e.result = resultJSON
	return e
}

// resultView is the part of a checker.Result an entry keeps.
type resultView struct {
	Violations []struct {
		Rule      string         `json:"rule"`
		Severity  string         `json:"severity"`
		Fields    map[string]any `json:"fields"`
		Explained bool           `json:"explained"`
	} `json:"violations"`
	Skipped []struct {
		Rule string `json:"rule"`
	} `json:"skipped"`
}

// parsed is what complete takes from a result.
type parsed struct {
	violated []Violation
	skipped  []string
}

// complete fills Violated and Skipped from the attached result. Results
// parsed before are looked up by check id (the same check id is the same
// result), so a cached answer costs no decoding.
func (e *Entry) complete(seen *lru.LRU[string, parsed]) {
	if e.result == nil {
		if e.Violated == nil {
			e.Violated = []Violation{}
		}
		return
	}
	if seen == nil {
		seen, _ = lru.NewLRU[string, parsed](1, nil) // a caller without a cache
	}
	if p, ok := seen.Get(e.CheckID); ok && e.CheckID != "" {
		e.Violated, e.Skipped, e.result = p.violated, p.skipped, nil
		return
	}
	var r resultView
	if err := json.Unmarshal(e.result, &r); err == nil {
		e.Violated = make([]Violation, 0, len(r.Violations))
		for _, v := range r.Violations {
			fields := make([]string, 0, len(v.Fields))
			for k := range v.Fields {
				fields = append(fields, k)
			}
			slices.Sort(fields)
			e.Violated = append(e.Violated, Violation{Rule: v.Rule, Severity: v.Severity, Fields: fields, Explained: v.Explained})
		}
		for _, s := range r.Skipped {
			e.Skipped = append(e.Skipped, s.Rule)
		}
		if e.CheckID != "" {
			seen.Add(e.CheckID, parsed{e.Violated, e.Skipped})
		}
	}
	if e.Violated == nil {
		e.Violated = []Violation{}
	}
	e.result = nil
}

// Filter selects entries; empty fields match everything.
type Filter struct {
	Form   string
	Unit   string
	Period string
}

// Match reports whether e passes the filter. An unreadable entry passes
// where the field could not be read: it cannot be shown to be another's.
func (f Filter) Match(e *Entry) bool {
	lost := e.Unreadable != nil
	is := func(want, got string) bool { return want == "" || want == got || lost && got == "" }
	return is(f.Form, e.Form) && is(f.Unit, e.Unit) && is(f.Period, e.Period)
}
