package period

import (
	"errors"
	"fmt"
	"testing"
)

func TestHalfYearNormalize(t *testing.T) {
	h, err := Lookup(HalfYear)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"2025H1", "2025H1"}, {"2025h2", "2025H2"}, {"2025 H1", "2025H1"}, {" 2025-H2 ", "2025H2"},
		{"2025年上半年", "2025H1"}, {"2025年下半年", "2025H2"}, {"2025上半年", "2025H1"},
		{"２０２５年上半年", "2025H1"}, {"２０２５Ｈ２", "2025H2"}, {"2025 年 下半年", "2025H2"},
	} {
		got, err := h.Normalize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "2025", "2025H3", "25H1", "2025年", "2025年全年", "H1 2025", "2025Q1", "0999H1", "2025H1x"} {
		if got, err := h.Normalize(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%q) = %q, %v; want ErrInvalid", bad, got, err)
		}
	}
}

func TestHalfYearPrevious(t *testing.T) {
	h, _ := Lookup(HalfYear)
	for in, want := range map[string]string{"2025H1": "2024H1", "2025H2": "2024H2", "2000H1": "1999H1", "2025H3": "", "junk": ""} {
		if got := h.Previous(in); got != want {
			t.Errorf("Previous(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLookup(t *testing.T) {
	if _, err := Lookup("quarter"); err == nil {
		t.Error("Lookup(quarter) succeeded")
	}
	free, err := Lookup("")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := free.Normalize("二〇二五年"); err != nil || p != "二〇二五年" || free.Previous(p) != "" {
		t.Errorf("free text: %q %v", p, err)
	}
}

func FuzzHalfYear(f *testing.F) {
	for _, s := range []string{"2025H1", "2025年下半年", "２０２５Ｈ２", ""} {
		f.Add(s)
	}
	h, _ := Lookup(HalfYear)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := h.Normalize(s)
		if err != nil {
			return
		}
		again, err := h.Normalize(p)
		if err != nil || again != p {
			t.Fatalf("canonical %q of %q does not normalise to itself: %q %v", p, s, again, err)
		}
		if prev := h.Previous(p); prev != "" {
			if _, err := h.Normalize(prev); err != nil {
				t.Fatalf("previous %q of %q is not canonical", prev, p)
			}
		}
	})
}

func ExampleScheme() {
	h, _ := Lookup(HalfYear)
	p, _ := h.Normalize("2025年上半年")
	fmt.Println(p, h.Previous(p))
	// Output: 2025H1 2024H1
}
