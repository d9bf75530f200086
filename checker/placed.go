package checker

import (
	"sync"

	"github.com/figcheck/figcheck/rules"
)

// Placed is a submission with its figures placed by indicator index of its
// form (rules.Placement), the current period's and the previous one's:
// the keys are resolved once — by the decoder as it reads them
// (DecodePlaced), or from the maps (Place) — and the digest and the check
// read the vectors instead of looking every figure up in the maps again.
type Placed struct {
	// Form is the form the figures are placed for; nil when DecodePlaced
	// found no such form.
	Form      *rules.Form
	Sub       *Submission
	cur, prev rules.Placement[any]
}

var placedPool = sync.Pool{New: func() any { return new(Placed) }}

// Place places the figures of s, a submission of form f. s must not change
// until p is released (or placed again, Refresh).
func Place(f *rules.Form, s *Submission) *Placed {
	p := placedPool.Get().(*Placed)
	p.Sub = s
	p.Refresh(f)
	return p
}

// Refresh places p.Sub's figures again, from its maps, for f: after the
// maps were changed or replaced, or for another form.
func (p *Placed) Refresh(f *rules.Form) {
	p.Form = f
	placeMap(&p.cur, f, p.Sub.Figures)
	placeMap(&p.prev, f, p.Sub.Previous)
}

func placeMap(pl *rules.Placement[any], f *rules.Form, m map[string]any) {
	pl.Reset(f)
	if f == nil {
		return
	}
	for k, v := range m {
		pl.Place(k, v)
	}
}

// Release returns p to the pool; p must not be used after.
func (p *Placed) Release() {
	p.cur.Reset(nil) // no references kept to the submission's values
	p.prev.Reset(nil)
	p.Form, p.Sub = nil, nil
	placedPool.Put(p)
}

// Digest is SubmissionDigest(p.Sub).
func (p *Placed) Digest() [32]byte { return submissionDigest(p, p.Sub) }
