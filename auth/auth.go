// Package auth holds figcheck's bearer tokens and roles: a tokens file
// that stores only hashes of the tokens, constant-time lookup, what each
// role may do, and a rate limit per token.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is a role's kind.
type Kind int

// Role kinds, from least to most trusted.
const (
	KindUnit Kind = iota + 1
	KindAuditor
	KindAdmin
	// KindOpen is the role of every request when no tokens are configured.
	KindOpen
)

// Role is what a token may do.
type Role struct {
	Kind Kind
	// Unit is the unit a KindUnit role speaks for.
	Unit string
}

// Level is what a route requires.
type Level int

// Levels, from least to most restricted.
const (
	Public  Level = iota // no token needed
	Unit                 // any role: unit, auditor, admin
	Auditor              // auditor or admin
	Admin                // admin only
)

// Allows reports whether r may use a route that requires l.
func (r Role) Allows(l Level) bool {
	switch r.Kind {
	case KindOpen, KindAdmin:
		return true
	case KindAuditor:
		return l <= Auditor
	case KindUnit:
		return l <= Unit
	}
	return l == Public
}

// MayAct reports whether r may check or read the figures of unit: a unit
// role only its own unit, the others every unit.
func (r Role) MayAct(unit string) bool {
	switch r.Kind {
	case KindOpen, KindAdmin, KindAuditor:
		return true
	case KindUnit:
		return r.Unit == unit
	}
	return false
}

// String is the role as written in the tokens file.
func (r Role) String() string {
	switch r.Kind {
	case KindUnit:
		return "unit:" + r.Unit
	case KindAuditor:
		return "auditor"
	case KindAdmin:
		return "admin"
	case KindOpen:
		return "open"
	}
	return "none"
}

// ErrBadRole marks a role that does not parse.
var ErrBadRole = errors.New("bad role")

// ParseRole reads "admin", "auditor" or "unit:<unit name>". A unit name
// is printable and has no spaces.
func ParseRole(s string) (Role, error) {
	switch s {
	case "admin":
		return Role{Kind: KindAdmin}, nil
	case "auditor":
		return Role{Kind: KindAuditor}, nil
	}
	if unit, ok := strings.CutPrefix(s, "unit:"); ok && validName(unit) {
		return Role{Kind: KindUnit, Unit: unit}, nil
	}
	return Role{}, fmt.Errorf("%w %q: want admin, auditor or unit:<unit name without spaces>", ErrBadRole, s)
}

// validName: non-empty, at most 200 bytes, valid UTF-8, printable, no space.
func validName(s string) bool {
	if s == "" || len(s) > 200 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '#' {
			return false
		}
	}
	return true
}

// Principal is who made a request.
type Principal struct {
	Name string
	Role Role
}

// Anonymous is the principal of every request when no tokens are
// configured.
var Anonymous = Principal{Name: "anonymous", Role: Role{Kind: KindOpen}}

// tokenPrefix starts every token NewToken makes.
const tokenPrefix = "fct_"

// NewToken returns a new random token (256 bits).
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Hash is how a token is stored: "sha256:" and the hex digest. Tokens
// are 256 random bits, so a fast hash is enough: there is nothing to
// guess from it.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// BearerToken takes the token from an Authorization header value
// ("Bearer <token>", scheme case-insensitive).
func BearerToken(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Tokens is a parsed tokens file.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	name string
	role Role
	hash [sha256.Size]byte
}

// Len is the number of tokens.
func (t *Tokens) Len() int { return len(t.entries) }

// Lookup finds the principal of a presented token. It hashes the token
// and compares the hash with every stored hash in constant time, without
// stopping at a match, so the time taken tells nothing about which
// token (or how much of one) matched.
func (t *Tokens) Lookup(token string) (Principal, bool) {
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range t.entries {
		if subtle.ConstantTimeCompare(sum[:], t.entries[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, false
	}
	e := t.entries[found]
	return Principal{Name: e.name, Role: e.role}, true
}

// Names lists the token names with their roles, in file order.
func (t *Tokens) Names() []Principal {
	out := make([]Principal, len(t.entries))
	for i, e := range t.entries {
		out[i] = Principal{Name: e.name, Role: e.role}
	}
	return out
}
