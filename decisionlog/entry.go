package decisionlog

import (
	"crypto/rand"
	"encoding/hex"
	"time"
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

	flush chan struct{} // a flush marker, not an entry
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

// complete readies an entry for writing: Violated is a list, never null.
// Callers build entries complete (the service's one constructor is
// api.logEntry); the log parses nothing.
func (e *Entry) complete() {
	if e.Violated == nil {
		e.Violated = []Violation{}
	}
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
