package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"time"
)

// InputFile is one file of a batch as it was read: the report names it,
// with its size and SHA-256, so that a printed report says which data it
// is about.
type InputFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// tracked counts and hashes the bytes of one input read through Track.
type tracked struct {
	name string
	n    int64
	h    hash.Hash
	r    io.Reader
	done bool
}

// drain reads what the row reader left of the input, once: the digest is
// of the whole file.
func (t *tracked) drain() {
	if !t.done {
		t.done = true
		_, _ = io.Copy(io.Discard, t)
	}
}

func (t *tracked) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.n += int64(n)
	t.h.Write(p[:n])
	return n, err
}

// Track returns r, counting and hashing what is read through it: the
// report lists the file with its size and SHA-256. Readers read only what
// they need, so the digest covers what was read; the rest of the file, if
// any, is drained when the report is made (only up to Finish).
func (a *Auditor) Track(name string, r io.Reader) io.Reader {
	t := &tracked{name: name, h: sha256.New(), r: r}
	a.inputs = append(a.inputs, t)
	return t
}

// drainInputs reads the rest of every tracked input.
func (a *Auditor) drainInputs() {
	for _, t := range a.inputs {
		t.drain()
	}
}

// inputFiles lists the tracked files.
func (a *Auditor) inputFiles() []InputFile {
	out := make([]InputFile, 0, len(a.inputs))
	for _, t := range a.inputs {
		t.drain()
		out = append(out, InputFile{Name: t.name, Size: t.n, SHA256: hex.EncodeToString(t.h.Sum(nil))})
	}
	return out
}

// now is the audit's clock: Options.Now, else time.Now.
func (a *Auditor) now() time.Time {
	if a.opts.Now != nil {
		return a.opts.Now()
	}
	return time.Now()
}
