package receipt

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var (
	k1 = Key{ID: "2026a", Secret: bytes.Repeat([]byte{1}, 32)}
	k2 = Key{ID: "2026b", Secret: bytes.Repeat([]byte{2}, 32)}
)

const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func signed(t *testing.T, k *Keyring) Receipt {
	t.Helper()
	return k.Sign(Receipt{
		Form: "edu_sports_halfyear", Unit: "东城区", Period: "2026H1", Submission: digest,
		Ruleset: "r1", Verdict: "pass", Time: time.Date(2026, 7, 10, 9, 0, 0, 123456789, time.FixedZone("CST", 8*3600)),
	})
}

func TestVerify(t *testing.T) {
	ring, err := NewKeyring(k1)
	if err != nil {
		t.Fatal(err)
	}
	good := signed(t, ring)
	// A receipt survives a JSON round trip.
	var round Receipt
	b, _ := json.Marshal(good)
	if err := json.Unmarshal(b, &round); err != nil {
		t.Fatal(err)
	}
	other, _ := NewKeyring(k2)
	tests := []struct {
		name   string
		edit   func(r *Receipt)
		digest string
		want   error
		reason string
	}{
		{"valid", func(*Receipt) {}, digest, nil, ""},
		{"figures differ", func(*Receipt) {}, "0" + digest[1:], ErrFiguresDiffer, "figures_differ"},
		{"verdict tampered", func(r *Receipt) { r.Verdict = "fail" }, digest, ErrBadSignature, "bad_signature"},
		{"unit tampered", func(r *Receipt) { r.Unit = "西城区" }, digest, ErrBadSignature, "bad_signature"},
		{"period tampered", func(r *Receipt) { r.Period = "2025H2" }, digest, ErrBadSignature, "bad_signature"},
		{"form tampered", func(r *Receipt) { r.Form = "x" }, digest, ErrBadSignature, "bad_signature"},
		{"ruleset tampered", func(r *Receipt) { r.Ruleset = "r2" }, digest, ErrBadSignature, "bad_signature"},
		{"time tampered", func(r *Receipt) { r.Time = r.Time.Add(time.Nanosecond) }, digest, ErrBadSignature, "bad_signature"},
		// changing the digest in the receipt to match other figures breaks the signature
		{"digest tampered", func(r *Receipt) { r.Submission = "0" + digest[1:] }, "0" + digest[1:], ErrBadSignature, "bad_signature"},
		{"sig garbage", func(r *Receipt) { r.Sig = "!!" }, digest, ErrBadSignature, "bad_signature"},
		{"sig of another key", func(r *Receipt) { r.Sig = other.Sign(*r).Sig }, digest, ErrBadSignature, "bad_signature"},
		{"unknown key", func(r *Receipt) { r.KeyID = "2025z" }, digest, ErrUnknownKey, "unknown_key"},
		{"no version", func(r *Receipt) { r.Version = 0 }, digest, ErrMalformed, "malformed_receipt"},
		{"no sig", func(r *Receipt) { r.Sig = "" }, digest, ErrMalformed, "malformed_receipt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := round
			tt.edit(&r)
			err := ring.Verify(r, tt.digest)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if Reason(err) != tt.reason {
				t.Fatalf("Reason = %q, want %q", Reason(err), tt.reason)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old, _ := NewKeyring(k1)
	r := signed(t, old)
	rotated, err := NewKeyring(k2, k1) // new key first, old kept for verification
	if err != nil {
		t.Fatal(err)
	}
	if err := rotated.Verify(r, digest); err != nil {
		t.Fatalf("an old receipt no longer verifies: %v", err)
	}
	if nr := signed(t, rotated); nr.KeyID != "2026b" {
		t.Fatalf("signed with %s", nr.KeyID)
	}
	retired, _ := NewKeyring(k2)
	if err := retired.Verify(r, digest); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("retired key: %v", err)
	}
}

func TestNewKeyringRefusesBadKeys(t *testing.T) {
	for _, keys := range [][]Key{nil, {{ID: "", Secret: k1.Secret}}, {{ID: "a", Secret: []byte("short")}}, {k1, k1}} {
		if _, err := NewKeyring(keys...); err == nil {
			t.Errorf("NewKeyring(%v) accepted", keys)
		}
	}
}

func TestDevKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dev.key")
	k, created, err := DevKey(path)
	if err != nil || !created || len(k.Secret) != 32 || k.ID[:4] != "dev-" {
		t.Fatalf("DevKey: %v %v %v", k, created, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	again, created, err := DevKey(path)
	if err != nil || created || again.ID != k.ID || !bytes.Equal(again.Secret, k.Secret) {
		t.Fatalf("reload: %v %v %v", again, created, err)
	}
	_ = os.Chmod(path, 0o644)
	if _, _, err := DevKey(path); err == nil {
		t.Fatal("a readable dev key was used")
	}
}
