package api

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/internal/jsonenc"
	"github.com/figcheck/figcheck/receipt"
	"github.com/figcheck/figcheck/rules"
	jsonv2 "github.com/go-json-experiment/json"
)

// outcome is what the metrics and the decision log need of a check
// result: the cache keeps it beside the encoded result, so that a cached
// answer is counted and logged exactly like a fresh one without decoding
// the result.
type outcome struct {
	Verdict    string                  `json:"verdict"`
	Violated   []decisionlog.Violation `json:"violated"`
	Skipped    []string                `json:"skipped,omitempty"`
	EvalErrors []string                `json:"eval_errors,omitempty"` // rule ids
}

// outcomeOf summarises a result: each violation with the fields it read,
// the skipped rules and the rules that could not be evaluated.
func outcomeOf(res *checker.Result) outcome {
	o := outcome{Verdict: res.Verdict, Violated: make([]decisionlog.Violation, 0, len(res.Violations))}
	for _, v := range res.Violations {
		var fields []string // nil when empty: as the entry reads back
		for k := range v.Fields {
			fields = append(fields, k)
		}
		slices.Sort(fields)
		o.Violated = append(o.Violated, decisionlog.Violation{Rule: v.Rule, Severity: v.Severity.String(), Fields: fields, Explained: v.Explained})
	}
	for _, sk := range res.Skipped {
		o.Skipped = append(o.Skipped, sk.Rule)
	}
	for _, e := range res.EvalErrors {
		o.EvalErrors = append(o.EvalErrors, e.Rule)
	}
	return o
}

// stored is a check result as the cache holds it: its outcome and the
// result JSON, encoded once, on the miss.
type stored struct {
	outcome
	body []byte // a checker.Result as a JSON object
}

// A cache entry is "v2 " + the outcome as JSON + "\n" + the result JSON.
// JSON escapes newlines, so the first one ends the outcome.
const entryPrefix = "v2 "

// encodeEntry encodes a result for the cache and returns what decodeEntry
// would read back from it, so that a miss does not parse what it wrote.
func encodeEntry(r *checker.Result) ([]byte, stored) {
	st := stored{outcome: outcomeOf(r)}
	head, _ := jsonv2.Marshal(st.outcome) // only strings and bools
	entry := make([]byte, 0, len(entryPrefix)+len(head)+1+2048)
	entry = append(append(append(entry, entryPrefix...), head...), '\n')
	n := len(entry)
	e := jsonenc.Encoder{B: entry}
	if r.EncodeJSON(&e); e.Err == nil { // encoding/json's bytes, without reflection
		entry = e.B
	} else { // a value encoding/json refuses: what it makes of the result
		b := bytes.NewBuffer(entry)
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(r)
		entry = bytes.TrimRight(b.Bytes(), "\n")
	}
	st.body = entry[n:]
	return entry, st
}

var errBadEntry = errors.New("bad cache entry")

// decodeEntry reads a cache entry; an entry of another version or a
// damaged one is an error (and then a miss).
func decodeEntry(b []byte) (stored, error) {
	rest, ok := bytes.CutPrefix(b, []byte(entryPrefix))
	head, body, ok2 := bytes.Cut(rest, []byte("\n"))
	if !ok || !ok2 || len(body) < 2 || body[0] != '{' || body[len(body)-1] != '}' {
		return stored{}, errBadEntry
	}
	var st stored
	if err := jsonv2.Unmarshal(head, &st.outcome); err != nil || st.Verdict == "" {
		return stored{}, errBadEntry
	}
	if st.Violated == nil {
		st.Violated = []decisionlog.Violation{}
	}
	st.body = body
	return st, nil
}

// Answer is the response to one check: the result (as stored) and what
// belongs to this answer alone.
type Answer struct {
	stored
	Cached     bool
	Receipt    receipt.Receipt
	Extraction *extract.Result // the figures taken from text, or nil
	// Previous says where the previous-period figures came from (store.go).
	Previous previousSource
}

// MarshalJSON is the one encoding of an answer: the result's members,
// then "cached", "receipt", "previous_source" and, for a check of text,
// "extraction".
func (a *Answer) MarshalJSON() ([]byte, error) { return a.appendJSON(nil), nil }

func (a *Answer) appendJSON(out []byte) []byte {
	rj, _ := json.Marshal(a.Receipt) // strings and a time
	var ext []byte
	if a.Extraction != nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(a.Extraction) // an extraction holds only encodable values
		ext = bytes.TrimRight(b.Bytes(), "\n")
	}
	out = slices.Grow(out, len(a.body)+len(rj)+len(ext)+48)
	out = append(out, a.body[:len(a.body)-1]...) // the object, open
	out = append(out, `,"cached":`...)
	out = strconv.AppendBool(out, a.Cached)
	out = append(out, `,"receipt":`...)
	out = append(out, rj...)
	pj, _ := json.Marshal(a.Previous) // strings and a number
	out = append(out, `,"previous_source":`...)
	out = append(out, pj...)
	if ext != nil {
		out = append(out, `,"extraction":`...)
		out = append(out, ext...)
	}
	return append(out, '}')
}

// caller is who asked for checks and through which endpoint, as the
// decision log records it.
type caller struct {
	actor, role, source string
}

// check is one check of one submission, as the decision log records it.
type check struct {
	form    *rules.Form
	sub     *checker.Submission
	digest  [32]byte
	checkID string
}

// logEntry is the one constructor of a decision log entry: a miss, a
// cached answer and an audit row all get theirs here, from the outcome.
func logEntry(who caller, ck check, o *outcome, cached bool, now time.Time) decisionlog.Entry {
	return decisionlog.Entry{
		CheckID: ck.checkID, Time: now, Source: who.source, Form: ck.form.ID, Unit: ck.sub.Unit, Period: ck.sub.Period,
		Ruleset: ck.form.Digest, Submission: hex.EncodeToString(ck.digest[:]), Verdict: o.Verdict,
		Violated: o.Violated, Skipped: o.Skipped, Figures: ck.sub.Figures,
		Actor: who.actor, Role: who.role, Cached: cached, Known: knownBy(ck.form, o),
	}
}

// knownBy tells the decision log which figures f knows: it keeps those in
// full and summarises the others (decisionlog.Limits). When the check
// found no unknown figure every key is known, and nil says so without a
// lookup per figure (most entries).
func knownBy(f *rules.Form, o *outcome) func(string) bool {
	if !slices.ContainsFunc(o.Violated, func(v decisionlog.Violation) bool { return v.Rule == checker.BuiltinUnknownField }) {
		return nil
	}
	return func(k string) bool { _, ok := f.Indicator(k); return ok }
}
