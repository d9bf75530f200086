package auth

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrBadTokensFile marks a tokens file that does not parse.
var ErrBadTokensFile = errors.New("bad tokens file")

// The tokens file has one token a line: NAME ROLE HASH, separated by
// spaces; blank lines and lines starting with # are ignored.
//
//	# figcheck tokens: name role hash
//	ops      admin           sha256:9f86d0…
//	xuhui    unit:徐汇区      sha256:2c26b4…
const fileHeader = "# figcheck tokens: NAME ROLE HASH (only hashes are stored; see docs/security.md)\n"

// ParseTokens reads a tokens file. Every problem is reported with its
// line number; names and hashes must be unique.
func ParseTokens(r io.Reader) (*Tokens, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	t := &Tokens{}
	names, hashes := map[string]int{}, map[string]int{}
	var errs []error
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			errs = append(errs, fmt.Errorf("line %d: want NAME ROLE HASH, got %d fields", n, len(fields)))
			continue
		}
		name, roleText, hashText := fields[0], fields[1], fields[2]
		e := tokenEntry{name: name}
		if !validName(name) {
			errs = append(errs, fmt.Errorf("line %d: bad token name %q", n, name))
			continue
		}
		role, err := ParseRole(roleText)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			continue
		}
		e.role = role
		hexText, ok := strings.CutPrefix(hashText, "sha256:")
		raw, err := hex.DecodeString(hexText)
		if !ok || err != nil || len(raw) != len(e.hash) {
			errs = append(errs, fmt.Errorf("line %d: hash must be sha256:<64 hex digits>", n))
			continue
		}
		copy(e.hash[:], raw)
		if prev, dup := names[name]; dup {
			errs = append(errs, fmt.Errorf("line %d: token name %q already on line %d", n, name, prev))
			continue
		}
		if prev, dup := hashes[string(raw)]; dup {
			errs = append(errs, fmt.Errorf("line %d: same token hash as line %d", n, prev))
			continue
		}
		names[name], hashes[string(raw)] = n, n
		t.entries = append(t.entries, e)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrBadTokensFile, errors.Join(errs...))
	}
	return t, nil
}

// LoadTokens reads the tokens file at path. A file that others may
// write is refused.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("tokens: %s is writable by others (mode %v)", path, st.Mode().Perm())
	}
	t, err := ParseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("tokens: %s: %w", path, err)
	}
	return t, nil
}

// AddToken makes a new token for name with role, appends its hash to the
// tokens file at path (creating it with mode 0600) and returns the token,
// which is shown this once and stored nowhere.
func AddToken(path, name string, role Role) (string, error) {
	if !validName(name) {
		return "", fmt.Errorf("tokens: bad name %q: printable, no spaces", name)
	}
	if _, err := ParseRole(role.String()); err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("tokens: %w", err)
	}
	t, err := ParseTokens(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("tokens: %s: %w", path, err)
	}
	for _, e := range t.entries {
		if e.name == name {
			return "", fmt.Errorf("tokens: %s already has a token named %q", path, name)
		}
	}
	token := NewToken()
	var b bytes.Buffer
	if len(data) == 0 {
		b.WriteString(fileHeader)
	} else if data[len(data)-1] != '\n' {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%s %s %s\n", name, role, Hash(token))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return "", fmt.Errorf("tokens: %w", err)
	}
	_, werr := f.Write(b.Bytes())
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return "", fmt.Errorf("tokens: %w", err)
	}
	return token, nil
}
