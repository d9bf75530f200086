package rules

import (
	"slices"
	"strings"
	"sync"
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

// Given says under which key an object of figures gave an indicator.
type Given uint8

const (
	NotGiven Given = iota
	ByID           // under its id
	ByName         // under its Chinese name (not the same as its id)
	Twice          // under both: neither value is used
)

// Placement is one object of figures of one period (no "previous."
// prefix) placed by indicator index: the one resolution of an object's
// keys, with its policy for an indicator given twice — once by id, once by
// name — that neither value is used and the indicator is reported in
// Keys.Twice. The outcome never depends on the order the keys come in.
// Fill it with Reset, then Place for each key (ResolveKeys does, for a
// map) or, for a decoder holding the key as bytes, Lookup and then Put or
// AddUnknown; a Placement is reused from object to object without
// allocating.
type Placement[V any] struct {
	Form *Form
	// Given says, by indicator index, how the indicator was given; Vals
	// holds its value when Given is ByID or ByName.
	Given []Given
	Vals  []V
	// Unknown lists the keys that name no indicator, in the order placed.
	Unknown []string
	// Placed counts the keys placed, known or not.
	Placed int
	byName int // keys given by name, Twice included
	// nextByID and nextInForm are the places, in id order and in form
	// order, of the ids after the last one Lookup found.
	nextByID, nextInForm int
}

// Reset empties p for an object of figures of f (nil: of no form, p is
// then only emptied).
func (p *Placement[V]) Reset(f *Form) {
	// Entries past the length are always zero: clearing the used ones
	// drops the references to the last object's values and keys.
	clear(p.Given)
	clear(p.Vals)
	clear(p.Unknown)
	n := 0
	if f != nil {
		n = len(f.Indicators)
	}
	if cap(p.Given) < n {
		p.Given, p.Vals = make([]Given, n), make([]V, n)
	}
	p.Form, p.Given, p.Vals = f, p.Given[:n], p.Vals[:n]
	p.Unknown, p.Placed, p.byName = p.Unknown[:0], 0, 0
	p.nextByID, p.nextInForm = 0, 0
}

// Place places the value of key, a key given once in the object. It
// returns the indicator the key names (nil for an unknown key).
func (p *Placement[V]) Place(key string, v V) *Indicator {
	ind, ok := p.Form.byKey[key]
	if !ok {
		p.AddUnknown(key)
		return nil
	}
	g := ByID
	if key != ind.ID {
		g = ByName
	}
	p.Put(ind, g, v)
	return ind
}

// Lookup is Place's resolution of a key given as bytes, for a decoder that
// places as it reads: the indicator the key names and whether by id or by
// name, or nil and NotGiven. Then Put, or AddUnknown. Clients send the
// figures in id order (as a sorted map is written) or in form order, so
// the ids after the last id looked up in either order are tried before
// the key table.
func (p *Placement[V]) Lookup(key []byte) (*Indicator, Given) {
	f := p.Form
	if p.nextByID < len(f.byID) {
		if ind := f.byID[p.nextByID]; ind.ID == string(key) {
			p.next(ind)
			return ind, ByID
		}
	}
	if p.nextInForm < len(f.Indicators) {
		if ind := f.Indicators[p.nextInForm]; ind.ID == string(key) {
			p.next(ind)
			return ind, ByID
		}
	}
	ind, ok := f.byKey[string(key)]
	switch {
	case !ok:
		return nil, NotGiven
	case ind.ID == string(key):
		p.next(ind)
		return ind, ByID
	}
	return ind, ByName
}

// next notes that ind was looked up by id: the ids after it come next.
func (p *Placement[V]) next(ind *Indicator) {
	p.nextByID, p.nextInForm = p.Form.idPos[ind.Index]+1, ind.Index+1
}

// Has reports whether ind was placed under its key of kind g (ByID or
// ByName) already: a key given twice in one object.
func (p *Placement[V]) Has(ind *Indicator, g Given) bool {
	have := p.Given[ind.Index]
	return have == g || have == Twice
}

// Put places v for ind, given under its key of kind g (ByID or ByName),
// which was not placed before (Has): the other key of an indicator
// already placed makes it Twice, without a value.
func (p *Placement[V]) Put(ind *Indicator, g Given, v V) {
	p.Placed++
	if g == ByName {
		p.byName++
	}
	if p.Given[ind.Index] == NotGiven {
		p.Given[ind.Index], p.Vals[ind.Index] = g, v
		return
	}
	var zero V
	p.Given[ind.Index], p.Vals[ind.Index] = Twice, zero
}

// AddUnknown places a key that names no indicator.
func (p *Placement[V]) AddUnknown(key string) {
	p.Placed++
	p.Unknown = append(p.Unknown, key)
}

// ByIDOnly reports whether every key placed is an indicator's id, each
// given once (as clients send figures).
func (p *Placement[V]) ByIDOnly() bool { return len(p.Unknown) == 0 && p.byName == 0 }

// Key is the key indicator i was placed under: its id or its name.
func (p *Placement[V]) Key(i int) string {
	if p.Given[i] == ByName {
		return p.Form.Indicators[i].Name
	}
	return p.Form.Indicators[i].ID
}

// Keys sorts p.Unknown and returns it with the indicators given twice, in
// form order.
func (p *Placement[V]) Keys() Keys {
	out := Keys{Unknown: p.Unknown}
	slices.Sort(out.Unknown)
	if p.byName > 0 {
		for i, g := range p.Given {
			if g == Twice {
				out.Twice = append(out.Twice, p.Form.Indicators[i])
			}
		}
	}
	if len(out.Unknown) == 0 {
		out.Unknown = nil
	}
	return out
}

// ResolveKeys resolves the keys of m, an object of figures of one period
// (no "previous." prefix), by a Placement, and calls use, in form order,
// for every indicator given under exactly one key.
func ResolveKeys[V any](f *Form, m map[string]V, use func(ind *Indicator, key string, v V)) Keys {
	p, _ := placements.Get().(*Placement[V]) // a batch resolves row after row
	if p == nil {
		p = new(Placement[V])
	}
	defer func() {
		p.Reset(nil)
		placements.Put(p)
	}()
	p.Reset(f)
	for k, v := range m {
		p.Place(k, v)
	}
	for i, g := range p.Given {
		if g == ByID || g == ByName {
			use(f.Indicators[i], p.Key(i), p.Vals[i])
		}
	}
	keys := p.Keys()
	keys.Unknown = slices.Clone(keys.Unknown) // p's own goes back to the pool
	return keys
}

// placements are ResolveKeys' Placements (of whatever value type).
var placements sync.Pool
