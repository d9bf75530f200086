package checker

import (
	"sync"

	"github.com/figcheck/figcheck/rules"
)

// Placed is a submission with its figures placed by indicator index of its
// form (rules.Placement), the current period's and the previous one's:
// the keys are resolved once, then the digest and the check read the
// vectors instead of looking every figure up in the maps again.
type Placed struct {
	Form      *rules.Form
	Sub       *Submission
	cur, prev rules.Placement[any]
}

var placedPool = sync.Pool{New: func() any { return new(Placed) }}

// Place places the figures of s, a submission of form f. s must not change
// until p is released.
func Place(f *rules.Form, s *Submission) *Placed {
	p := placedPool.Get().(*Placed)
	p.Form, p.Sub = f, s
	p.cur.Reset(f)
	for k, v := range s.Figures {
		p.cur.Place(k, v)
	}
	p.prev.Reset(f)
	for k, v := range s.Previous {
		p.prev.Place(k, v)
	}
	return p
}

// Release returns p to the pool; p must not be used after.
func (p *Placed) Release() {
	p.cur.Reset(p.Form) // no references kept to the submission's values
	p.prev.Reset(p.Form)
	p.Form, p.Sub = nil, nil
	placedPool.Put(p)
}

// Digest is SubmissionDigest(p.Sub).
func (p *Placed) Digest() [32]byte { return submissionDigest(p, p.Sub) }
