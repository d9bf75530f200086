package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const hashA = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
const hashB = "sha256:0000000000000000000000000000000000000000000000000000000000000002"

func TestParseTokens(t *testing.T) {
	tests := []struct {
		name, file string
		n          int
		errs       []string
	}{
		{"good", "# c\n\nops admin " + hashA + "\n  dc unit:东城区 " + hashB + "  \n", 2, nil},
		{"fields", "ops admin\n", 0, []string{"line 1: want NAME ROLE HASH"}},
		{"role", "ops root " + hashA + "\n", 0, []string{"line 1: bad role"}},
		{"empty unit", "ops unit: " + hashA + "\n", 0, []string{"bad role"}},
		{"hash", "ops admin md5:abcd\n", 0, []string{"hash must be sha256"}},
		{"short hash", "ops admin sha256:abcd\n", 0, []string{"hash must be sha256"}},
		{"dup name", "ops admin " + hashA + "\nops auditor " + hashB + "\n", 0, []string{`line 2: token name "ops" already on line 1`}},
		{"dup hash", "ops admin " + hashA + "\naud auditor " + hashA + "\n", 0, []string{"line 2: same token hash as line 1"}},
		{"every problem", "a b\nc root " + hashA + "\n", 0, []string{"line 1:", "line 2:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := ParseTokens(strings.NewReader(tt.file))
			if tt.errs == nil {
				if err != nil || tok.Len() != tt.n {
					t.Fatalf("err %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBadTokensFile) {
				t.Fatalf("err %v, want ErrBadTokensFile", err)
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestAddTokenStoresOnlyTheHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	admin, err := AddToken(path, "ops", Role{Kind: KindAdmin})
	if err != nil {
		t.Fatal(err)
	}
	unit, err := AddToken(path, "dc", Role{Kind: KindUnit, Unit: "东城区"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AddToken(path, "ops", Role{Kind: KindAuditor}); err == nil {
		t.Fatal("a second token named ops was added")
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), admin) || strings.Contains(string(data), unit) {
		t.Fatal("the tokens file holds a token")
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	tok, err := LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		token string
		ok    bool
		name  string
		role  string
	}{
		{admin, true, "ops", "admin"},
		{unit, true, "dc", "unit:东城区"},
		{admin + "x", false, "", ""},
		{"", false, "", ""},
		{strings.TrimPrefix(Hash(admin), "sha256:"), false, "", ""},
	}
	for _, tt := range tests {
		p, ok := tok.Lookup(tt.token)
		if ok != tt.ok || p.Name != tt.name || (ok && p.Role.String() != tt.role) {
			t.Errorf("Lookup(%.8s…) = %v %v", tt.token, p, ok)
		}
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTokens(path); err == nil {
		t.Fatal("a world-writable tokens file was loaded")
	}
}

func TestRoles(t *testing.T) {
	unit := Role{Kind: KindUnit, Unit: "东城区"}
	aud, adm, none := Role{Kind: KindAuditor}, Role{Kind: KindAdmin}, Role{}
	tests := []struct {
		role  Role
		level Level
		want  bool
	}{
		{unit, Public, true}, {unit, Unit, true}, {unit, Auditor, false}, {unit, Admin, false},
		{aud, Unit, true}, {aud, Auditor, true}, {aud, Admin, false},
		{adm, Admin, true}, {none, Public, true}, {none, Unit, false},
		{Anonymous.Role, Admin, true},
	}
	for _, tt := range tests {
		if got := tt.role.Allows(tt.level); got != tt.want {
			t.Errorf("%v.Allows(%d) = %v", tt.role, tt.level, got)
		}
	}
	if !unit.MayAct("东城区") || unit.MayAct("西城区") || !aud.MayAct("西城区") || none.MayAct("东城区") {
		t.Error("MayAct")
	}
	for _, s := range []string{"admin", "auditor", "unit:东城区"} {
		r, err := ParseRole(s)
		if err != nil || r.String() != s {
			t.Errorf("ParseRole(%q) = %v, %v", s, r, err)
		}
	}
	for _, s := range []string{"", "Admin", "unit:", "unit:a b", "unit:a#b", "units:x"} {
		if _, err := ParseRole(s); !errors.Is(err, ErrBadRole) {
			t.Errorf("ParseRole(%q) accepted", s)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc", "abc", true}, {"bearer  abc ", "abc", true}, {"Basic abc", "", false},
		{"Bearer", "", false}, {"Bearer ", "", false}, {"", "", false},
	}
	for _, tt := range tests {
		if tok, ok := BearerToken(tt.header); tok != tt.token || ok != tt.ok {
			t.Errorf("BearerToken(%q) = %q %v", tt.header, tok, ok)
		}
	}
}

func TestLimiterIsPerToken(t *testing.T) {
	l := NewLimiter(0.001, 3)
	for range 3 {
		if !l.Allow("a") {
			t.Fatal("burst refused")
		}
	}
	if l.Allow("a") {
		t.Fatal("over the burst allowed")
	}
	if !l.Allow("b") {
		t.Fatal("another token limited")
	}
	var off *Limiter = NewLimiter(0, 0)
	if !off.Allow("a") {
		t.Fatal("no limit refused")
	}
}

func FuzzParseTokens(f *testing.F) {
	f.Add("ops admin " + hashA + "\n")
	f.Add("# x\ndc unit:东城区 " + hashB + "\r\n")
	f.Add("a b c d\n\x00\xff")
	f.Fuzz(func(t *testing.T, data string) {
		tok, err := ParseTokens(strings.NewReader(data))
		if err != nil {
			if tok != nil || !errors.Is(err, ErrBadTokensFile) {
				t.Fatalf("error %v with tokens %v", err, tok)
			}
			return
		}
		seen := map[string]bool{}
		for _, p := range tok.Names() {
			if seen[p.Name] || !validName(p.Name) {
				t.Fatalf("bad or repeated name %q", p.Name)
			}
			seen[p.Name] = true
			if r, err := ParseRole(p.Role.String()); err != nil || r != p.Role {
				t.Fatalf("role %v does not round-trip", p.Role)
			}
		}
		if _, ok := tok.Lookup(data); ok {
			t.Fatalf("the file's text is a token")
		}
	})
}
