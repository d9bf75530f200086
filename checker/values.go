package checker

import (
	"math"

	"github.com/figcheck/figcheck/rules"
)

// Values is a submission whose figures are already placed by indicator
// index, as a batch reader holds them. Checking it gives the result
// checking v.Submission(f) gives, without building and reading a map per
// row.
type Values struct {
	Unit, Period string
	// Nums holds the figures that are numbers, by indicator index; NaN
	// where a figure is absent or given in Raw.
	Nums []float64
	// Raw holds figures still as written ("1,200", "85%", "xx"), by
	// indicator index; nil where a figure is in Nums or absent. Raw may be
	// nil when every figure is in Nums.
	Raw []any
	// Prev holds the previous period's figures, by indicator index; NaN
	// where absent. Nil when there is no previous period.
	Prev []float64
}

// Submission returns v as a submission of form f: numbers as float64,
// other figures as written.
func (v *Values) Submission(f *rules.Form) *Submission {
	s := &Submission{Form: f.ID, Unit: v.Unit, Period: v.Period, Figures: make(map[string]any)}
	for i, ind := range f.Indicators {
		if i < len(v.Raw) && v.Raw[i] != nil {
			s.Figures[ind.ID] = v.Raw[i]
		} else if i < len(v.Nums) && !math.IsNaN(v.Nums[i]) {
			s.Figures[ind.ID] = v.Nums[i]
		}
	}
	if v.Prev != nil {
		s.Previous = make(map[string]any)
		for i, ind := range f.Indicators {
			if i < len(v.Prev) && !math.IsNaN(v.Prev[i]) {
				s.Previous[ind.ID] = v.Prev[i]
			}
		}
	}
	return s
}

// CheckValues is CheckWithID for figures placed by index. Entries beyond
// the form's indicators are ignored.
func (c *Checker) CheckValues(f *rules.Form, v *Values, checkID string) *Result {
	st, r := c.begin(f, v.Unit, v.Period, checkID)
	defer c.put(st)
	for i, ind := range f.Indicators {
		if i < len(v.Raw) && v.Raw[i] != nil {
			st.loadValue(ind, ind.ID, v.Raw[i], false, r)
		} else if i < len(v.Nums) && !math.IsNaN(v.Nums[i]) {
			st.loadNumber(ind, v.Nums[i], false, r)
		}
	}
	for i, ind := range f.Indicators {
		if i < len(v.Prev) && !math.IsNaN(v.Prev[i]) {
			st.loadNumber(ind, v.Prev[i], true, r)
		}
	}
	st.evaluate(f, nil, r)
	return r
}

// loadNumber is loadValue for a number, which needs boxing (an allocation
// for most figures) only when a violation shows it; fields boxes the
// numbers it lists.
func (st *state) loadNumber(ind *rules.Indicator, x float64, prev bool, r *Result) {
	if math.IsInf(x, 0) || (ind.Type == rules.Integer && x != math.Trunc(x)) {
		field := ind.ID
		if prev {
			field = ind.PrevKey
		}
		st.loadValue(ind, field, x, prev, r)
		return
	}
	if prev {
		st.havePrev[ind.Index], st.fr.Prev[ind.Index] = true, x
		return
	}
	st.have[ind.Index], st.fr.Cur[ind.Index] = true, x
	if (ind.Min != nil && x < *ind.Min) || (ind.Max != nil && x > *ind.Max) {
		st.checkRange(ind, ind.ID, x, x, r)
	}
}
