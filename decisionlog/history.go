package decisionlog

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Change is one figure that differs between consecutive attempts.
type Change struct {
	Field string `json:"field"`
	// Kind is "changed", "added" or "removed".
	Kind string `json:"kind"`
	From any    `json:"from,omitempty"`
	To   any    `json:"to,omitempty"`
}

// Attempt is one entry in a unit's history, compared with the one before.
type Attempt struct {
	Entry
	// Changes are the figures that differ from the previous attempt.
	Changes []Change `json:"changes"`
	// ChangedToPass marks an attempt that no longer fails where the
	// previous one failed, because the figures of the failed rules were
	// changed: every error-severity rule violated before now passes (it
	// is neither violated nor skipped), and at least one of them reads a
	// figure that changed. FixedRules lists those rules.
	ChangedToPass bool     `json:"changed_to_pass"`
	FixedRules    []string `json:"fixed_rules,omitempty"`
}

// Series is the attempts of one unit for one form and period, in order.
type Series struct {
	Form          string    `json:"form"`
	Unit          string    `json:"unit"`
	Period        string    `json:"period"`
	ChangedToPass bool      `json:"changed_to_pass"`
	Attempts      []Attempt `json:"attempts"`
}

// History groups entries by form, unit and period, orders each group by
// time, and compares each attempt with the one before. Entries with a
// repeated id are kept once. An unreadable entry is an attempt of its
// series when its form could be read (Unread reports all of them).
func History(entries []Entry) []Series {
	type key struct{ form, unit, period string }
	groups := map[key][]Entry{}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Form == "" {
			continue // unreadable, and nowhere to place it
		}
		if e.ID != "" {
			if seen[e.ID] {
				continue
			}
			seen[e.ID] = true
		}
		k := key{e.Form, e.Unit, e.Period}
		groups[k] = append(groups[k], e)
	}
	out := make([]Series, 0, len(groups))
	for k, es := range groups {
		slices.SortStableFunc(es, func(a, b Entry) int { return a.Time.Compare(b.Time) })
		s := Series{Form: k.form, Unit: k.unit, Period: k.period, Attempts: make([]Attempt, len(es))}
		for i, e := range es {
			a := Attempt{Entry: e, Changes: []Change{}}
			if i > 0 {
				prev := es[i-1]
				a.Changes = Diff(prev.Figures, e.Figures)
				if c, ok := omittedChange(prev.Omitted, e.Omitted); ok {
					a.Changes = append(a.Changes, c)
				}
				a.FixedRules, a.ChangedToPass = changedToPass(&prev, &e, a.Changes)
				s.ChangedToPass = s.ChangedToPass || a.ChangedToPass
			}
			s.Attempts[i] = a
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Series) int {
		return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.Form, b.Form), cmp.Compare(a.Unit, b.Unit))
	})
	return out
}

// OmittedField names, in a Change, the figures an entry summarised.
const OmittedField = "(omitted figures)"

// omittedChange is the change between two attempts' summarised figures.
func omittedChange(from, to *Omitted) (Change, bool) {
	digest := func(o *Omitted) string {
		if o == nil {
			return ""
		}
		return o.Digest
	}
	d1, d2 := digest(from), digest(to)
	switch {
	case d1 == d2:
		return Change{}, false
	case d1 == "":
		return Change{Field: OmittedField, Kind: "added", To: to.Keys}, true
	case d2 == "":
		return Change{Field: OmittedField, Kind: "removed", From: from.Keys}, true
	}
	return Change{Field: OmittedField, Kind: "changed", From: from.Keys, To: to.Keys}, true
}

// MaxUnread is how many unreadable records Unread lists.
const MaxUnread = 100

// Unread is what an answer says about the records a reader could not read.
type Unread struct {
	Count int `json:"count"`
	// Records are the first MaxUnread of them.
	Records []Unreadable `json:"records"`
}

// UnreadOf reports the unreadable entries among entries.
func UnreadOf(entries []Entry) Unread {
	u := Unread{Records: []Unreadable{}}
	for _, e := range entries {
		if e.Unreadable != nil {
			u.Count++
			if len(u.Records) < MaxUnread {
				u.Records = append(u.Records, *e.Unreadable)
			}
		}
	}
	return u
}

// Flagged keeps the series with a changed-to-pass attempt.
func Flagged(series []Series) []Series {
	out := []Series{}
	for _, s := range series {
		if s.ChangedToPass {
			out = append(out, s)
		}
	}
	return out
}

func changedToPass(prev, cur *Entry, changes []Change) ([]string, bool) {
	if prev.Verdict != "fail" || cur.Verdict == "fail" {
		return nil, false
	}
	changed := map[string]bool{}
	for _, c := range changes {
		changed[c.Field] = true
	}
	stillBad := map[string]bool{}
	for _, v := range cur.Violated {
		stillBad[v.Rule] = true
	}
	for _, r := range cur.Skipped {
		stillBad[r] = true
	}
	var fixed []string
	for _, v := range prev.Violated {
		if v.Severity != "error" || v.Explained {
			continue
		}
		if stillBad[v.Rule] {
			return nil, false
		}
		for _, f := range v.Fields {
			if changed[strings.TrimPrefix(f, "previous.")] || changed[f] {
				fixed = append(fixed, v.Rule)
				break
			}
		}
	}
	return fixed, len(fixed) > 0
}

// Diff lists the figures that differ between two submissions, by name.
// Numbers compare by value, so 12, 12.0 and "12" are the same figure.
func Diff(from, to map[string]any) []Change {
	out := []Change{}
	for k, a := range from {
		b, ok := to[k]
		switch {
		case !ok:
			out = append(out, Change{Field: k, Kind: "removed", From: a})
		case !sameValue(a, b):
			out = append(out, Change{Field: k, Kind: "changed", From: a, To: b})
		}
	}
	for k, b := range to {
		if _, ok := from[k]; !ok {
			out = append(out, Change{Field: k, Kind: "added", To: b})
		}
	}
	slices.SortFunc(out, func(a, b Change) int { return cmp.Compare(a.Field, b.Field) })
	return out
}

func sameValue(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	}
	if _, ok := number(b); ok {
		return false
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// String renders a change for people: "gold_medals: 9 → 4".
func (c Change) String() string {
	switch c.Kind {
	case "added":
		return fmt.Sprintf("%s: (none) → %v", c.Field, c.To)
	case "removed":
		return fmt.Sprintf("%s: %v → (none)", c.Field, c.From)
	}
	return fmt.Sprintf("%s: %v → %v", c.Field, c.From, c.To)
}
