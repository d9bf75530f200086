package rules

import (
	"slices"
	"strings"
)

// Resolve finds the indicator a key names: its id or its Chinese name, or
// "previous.<id or name>" for the previous period's figure (previous is
// then true). It is the one resolution of names: submissions, audit rows
// and columns, rule tests and expressions all go through it.
func (f *Form) Resolve(key string) (ind *Indicator, previous, ok bool) {
	if ind, ok := f.byKey[key]; ok {
		return ind, false, true
	}
	if rest, p := strings.CutPrefix(key, "previous."); p {
		if ind, ok := f.byKey[rest]; ok {
			return ind, true, true
		}
	}
	return nil, false, false
}

// Keys is how the keys of one object of figures resolved.
type Keys struct {
	// Unknown lists the keys that name no indicator, sorted.
	Unknown []string
	// Twice lists, in form order, the indicators given under more than one
	// key (their id and their Chinese name).
	Twice []*Indicator
}

// ResolveKeys resolves the keys of m, an object of figures of one period
// (no "previous." prefix), and calls use for every indicator given under
// exactly one key. The policy for an indicator given twice — once by id,
// once by name — is that neither value is used and the indicator is
// reported in Twice; the outcome never depends on which key comes first
// or on map order.
func ResolveKeys[V any](f *Form, m map[string]V, use func(ind *Indicator, key string, v V)) Keys {
	var out Keys
	for k, v := range m {
		ind, ok := f.byKey[k]
		if !ok {
			out.Unknown = append(out.Unknown, k)
			continue
		}
		if ind.Name != ind.ID {
			other := ind.Name
			if k == ind.Name {
				other = ind.ID
			}
			if _, both := m[other]; both {
				if k == ind.ID { // reported once, under the id
					out.Twice = append(out.Twice, ind)
				}
				continue
			}
		}
		use(ind, k, v)
	}
	slices.Sort(out.Unknown)
	slices.SortFunc(out.Twice, func(a, b *Indicator) int { return a.Index - b.Index })
	return out
}
