// Package receipt signs and verifies check receipts: an HMAC-SHA256 over
// what a check was given and what it answered, so that anyone holding the
// receipt and the submission can later ask the service whether these are
// the figures that were checked, without the service storing anything.
package receipt

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Version is the receipt format this package signs.
const Version = 1

// Receipt is the signed statement "this submission, checked by this form
// version, got this verdict at this time".
type Receipt struct {
	Version int    `json:"v"`
	KeyID   string `json:"kid"`
	Form    string `json:"form"`
	Unit    string `json:"unit"`
	Period  string `json:"period"`
	// Submission is the hex sha256 of the submission (checker.SubmissionDigest).
	Submission string `json:"submission"`
	// Ruleset is the digest of the form version that checked it.
	Ruleset string    `json:"ruleset"`
	Verdict string    `json:"verdict"`
	Time    time.Time `json:"time"`
	// Sig is the unpadded base64url HMAC-SHA256 of the other fields.
	Sig string `json:"sig"`
}

// Why a receipt does not verify.
var (
	ErrMalformed     = errors.New("malformed receipt")
	ErrUnknownKey    = errors.New("unknown key")
	ErrBadSignature  = errors.New("bad signature")
	ErrFiguresDiffer = errors.New("figures differ from those checked")
)

// Reason is the machine-readable code of a verification error.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnknownKey):
		return "unknown_key"
	case errors.Is(err, ErrBadSignature):
		return "bad_signature"
	case errors.Is(err, ErrFiguresDiffer):
		return "figures_differ"
	}
	return "malformed_receipt"
}

// Key is a signing key with its id.
type Key struct {
	ID     string
	Secret []byte
}

// MinSecret is the shortest secret accepted, in bytes.
const MinSecret = 32

// Keyring signs with its first key and verifies with any of them, so keys
// can rotate: put the new key first and keep the old ones for as long as
// their receipts must verify.
type Keyring struct {
	active Key
	keys   map[string][]byte
}

// NewKeyring checks the keys: at least one, ids unique and non-empty,
// secrets at least MinSecret bytes.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("receipt: no keys")
	}
	k := &Keyring{active: keys[0], keys: map[string][]byte{}}
	var errs []error
	for i, key := range keys {
		switch {
		case key.ID == "":
			errs = append(errs, fmt.Errorf("receipt: key %d has no id", i+1))
		case len(key.Secret) < MinSecret:
			errs = append(errs, fmt.Errorf("receipt: key %q: secret is %d bytes, want at least %d", key.ID, len(key.Secret), MinSecret))
		case k.keys[key.ID] != nil:
			errs = append(errs, fmt.Errorf("receipt: key id %q given twice", key.ID))
		default:
			k.keys[key.ID] = key.Secret
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return k, nil
}

// ActiveKeyID is the id receipts are signed with.
func (k *Keyring) ActiveKeyID() string { return k.active.ID }

// Sign sets Version, KeyID and Sig on r; Time is kept as given, in UTC.
func (k *Keyring) Sign(r Receipt) Receipt {
	r.Version, r.KeyID = Version, k.active.ID
	r.Time = r.Time.UTC()
	r.Sig = base64.RawURLEncoding.EncodeToString(mac(k.active.Secret, &r))
	return r
}

// Verify checks r's signature, then that submissionDigest (hex sha256 of
// the submission offered) is the one r was signed over. The error wraps
// ErrMalformed, ErrUnknownKey, ErrBadSignature or ErrFiguresDiffer.
func (k *Keyring) Verify(r Receipt, submissionDigest string) error {
	if r.Version != Version || r.Sig == "" || r.KeyID == "" {
		return fmt.Errorf("%w: want version %d with kid and sig", ErrMalformed, Version)
	}
	secret, ok := k.keys[r.KeyID]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownKey, r.KeyID)
	}
	sig, err := base64.RawURLEncoding.DecodeString(r.Sig)
	if err != nil {
		return fmt.Errorf("%w: sig is not base64url", ErrBadSignature)
	}
	if !hmac.Equal(sig, mac(secret, &r)) {
		return fmt.Errorf("%w: a field of the receipt or its signature was altered", ErrBadSignature)
	}
	if !hmac.Equal([]byte(submissionDigest), []byte(r.Submission)) {
		return ErrFiguresDiffer
	}
	return nil
}

// mac is the HMAC of every field but Sig, each length-prefixed so that no
// two receipts share an encoding.
func mac(secret []byte, r *Receipt) []byte {
	h := hmac.New(sha256.New, secret)
	buf := make([]byte, 0, 256)
	buf = append(buf, "figcheck-receipt\x00"...)
	buf = binary.AppendUvarint(buf, uint64(r.Version))
	for _, s := range []string{r.KeyID, r.Form, r.Unit, r.Period, r.Submission, r.Ruleset, r.Verdict, r.Time.UTC().Format(time.RFC3339Nano)} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	h.Write(buf)
	return h.Sum(nil)
}
