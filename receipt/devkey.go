package receipt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DecodeSecret reads a secret as written in config and key files:
// standard base64, surrounding space ignored.
func DecodeSecret(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("receipt: secret is not base64: %w", err)
	}
	return b, nil
}

// DevKey loads the development key at path, or makes one and writes it
// there with mode 0600 (created reports which). An existing file that
// others may read is refused. The key id is "dev-" and the start of the
// secret's sha256.
func DevKey(path string) (key Key, created bool, err error) {
	if data, err := os.ReadFile(path); err == nil {
		st, err := os.Stat(path)
		if err != nil {
			return Key{}, false, fmt.Errorf("receipt: %w", err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			return Key{}, false, fmt.Errorf("receipt: dev key %s has mode %v; want 0600", path, st.Mode().Perm())
		}
		secret, err := DecodeSecret(string(data))
		if err != nil {
			return Key{}, false, fmt.Errorf("receipt: dev key %s: %w", path, err)
		}
		return devKey(secret), false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return Key{}, false, fmt.Errorf("receipt: %w", err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Key{}, false, fmt.Errorf("receipt: %w", err)
	}
	// Write a temporary file, then link it into place: the key appears
	// whole or not at all, and when two processes race, the loser reads
	// the winner's key instead of an empty file.
	f, err := os.CreateTemp(filepath.Dir(path), ".devkey-*")
	if err != nil {
		return Key{}, false, fmt.Errorf("receipt: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(secret) + "\n")
	if err := errors.Join(werr, f.Chmod(0o600), f.Sync(), f.Close()); err != nil {
		return Key{}, false, fmt.Errorf("receipt: %w", err)
	}
	if err := os.Link(f.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return DevKey(path)
		}
		return Key{}, false, fmt.Errorf("receipt: %w", err)
	}
	return devKey(secret), true, nil
}

func devKey(secret []byte) Key {
	sum := sha256.Sum256(secret)
	return Key{ID: "dev-" + hex.EncodeToString(sum[:4]), Secret: secret}
}
