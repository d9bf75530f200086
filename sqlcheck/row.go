package sqlcheck

import (
	"math"
	"slices"
	"strings"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// Row is one result row of a query.
type Row struct {
	Unit, Period string
	// PrevPeriod is the period the previous figures come from; "" when
	// the unit has no earlier row.
	PrevPeriod string
	// Violations are rule ids and builtin checks, the latter as
	// "builtin.range:<indicator id>"; EvalErrors the rules whose
	// evaluation failed; SkippedInput those skipped for a missing or
	// unusable figure, SkippedWhen those whose when is false.
	Violations, EvalErrors, SkippedInput, SkippedWhen []string
	// Figures and Previous are the row's and its previous period's
	// figures by indicator index, NaN where NULL; only from a query built
	// with Options.Figures, and only on rows with a violation or an
	// evaluation error.
	Figures, Previous []float64
}

// Problem reports whether the row has a violation or an evaluation error:
// the rows an audit report lists.
func (r *Row) Problem() bool { return len(r.Violations) > 0 || len(r.EvalErrors) > 0 }

// SplitEntry splits a violation entry into its rule id and, for builtin
// checks, the indicator id.
func SplitEntry(e string) (rule, indicator string) {
	rule, indicator, _ = strings.Cut(e, ":")
	return rule, indicator
}

// Values is the row as the checker reads it, as figcheck audit builds it
// from a file: usable figures as numbers, unusable ones (those the query
// flagged builtin.type) as written, previous figures as numbers. It is
// nil when the row carries no figures.
func (r *Row) Values(f *rules.Form) *checker.Values {
	if r.Figures == nil {
		return nil
	}
	v := &checker.Values{Unit: r.Unit, Period: r.Period, Nums: slices.Clone(r.Figures)}
	for _, e := range r.Violations {
		rule, id := SplitEntry(e)
		if rule != BuiltinType {
			continue
		}
		if ind, ok := f.Indicator(id); ok && ind.Index < len(v.Nums) {
			if v.Raw == nil {
				v.Raw = make([]any, len(f.Indicators))
			}
			v.Raw[ind.Index] = v.Nums[ind.Index]
			v.Nums[ind.Index] = math.NaN()
		}
	}
	if r.PrevPeriod != "" {
		v.Prev = r.Previous
	}
	return v
}

// Entries is what a checker result says in the terms of a query row:
// violations (builtins with their indicator), evaluation errors and
// skipped rules, each sorted; only rules in evaluated count. It is how
// the agreement tests and figcheck audit --db compare the two.
func Entries(res *checker.Result, evaluated map[string]bool) (viol, errs, input, when []string) {
	for _, v := range res.Violations {
		switch v.Rule {
		case BuiltinRequired, BuiltinRange, BuiltinType:
			for k := range v.Fields {
				viol = append(viol, v.Rule+":"+k)
			}
		default:
			if evaluated[v.Rule] {
				viol = append(viol, v.Rule)
			}
		}
	}
	for _, e := range res.EvalErrors {
		if evaluated[e.Rule] {
			errs = append(errs, e.Rule)
		}
	}
	for _, s := range res.Skipped {
		if !evaluated[s.Rule] {
			continue
		}
		if s.Reason == checker.SkipCondition {
			when = append(when, s.Rule)
		} else {
			input = append(input, s.Rule)
		}
	}
	for _, l := range [][]string{viol, errs, input, when} {
		slices.Sort(l)
	}
	return viol, errs, input, when
}

// Evaluated is the set of rule ids the query evaluates.
func (q *Query) Evaluated() map[string]bool {
	m := make(map[string]bool, len(q.Rules))
	for _, r := range q.Rules {
		m[r.ID] = true
	}
	return m
}

// Sorted returns the row with its lists sorted, for comparison.
func (r Row) Sorted() Row {
	for _, l := range []*[]string{&r.Violations, &r.EvalErrors, &r.SkippedInput, &r.SkippedWhen} {
		*l = slices.Clone(*l)
		slices.Sort(*l)
	}
	return r
}
