package rules_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/figcheck/figcheck/rules"
)

// TestResolveKeys: an indicator given once is used under the key it was
// given as; one given by id and by name is reported, neither value used;
// unknown keys come sorted; a decoder placing keys as bytes (Lookup, Has,
// Put) gets what Place gets.
func TestResolveKeys(t *testing.T) {
	rs, err := load("form: demo\nindicators:\n  - {id: a, name: 甲, type: number}\n  - {id: b, name: 乙, type: number}\n  - {id: c, name: c, type: number}\nrules: []\n")
	if err != nil {
		t.Fatal(err)
	}
	f := rs.Forms["demo"]
	for _, tc := range []struct {
		name          string
		m             map[string]any
		used, unknown []string
		twice         []string
	}{
		{"by id", map[string]any{"a": 1, "b": 2}, []string{"a=a:1", "b=b:2"}, nil, nil},
		{"by name", map[string]any{"甲": 1, "c": 3}, []string{"a=甲:1", "c=c:3"}, nil, nil},
		{"twice", map[string]any{"a": 1, "甲": 2, "b": 3}, []string{"b=b:3"}, nil, []string{"a"}},
		{"unknown", map[string]any{"z": 1, "y": 2, "乙": 3}, []string{"b=乙:3"}, []string{"y", "z"}, nil},
		{"empty", nil, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var used []string
			keys := rules.ResolveKeys(f, tc.m, func(ind *rules.Indicator, key string, v any) {
				used = append(used, fmt.Sprintf("%s=%s:%v", ind.ID, key, v))
			})
			var twice []string
			for _, ind := range keys.Twice {
				twice = append(twice, ind.ID)
			}
			if !slices.Equal(used, tc.used) || !slices.Equal(keys.Unknown, tc.unknown) || !slices.Equal(twice, tc.twice) {
				t.Fatalf("used %v, unknown %v, twice %v; want %v, %v, %v", used, keys.Unknown, twice, tc.used, tc.unknown, tc.twice)
			}
			var byPlace, byBytes rules.Placement[any]
			byPlace.Reset(f)
			byBytes.Reset(f)
			for k, v := range tc.m {
				byPlace.Place(k, v)
				ind, g := byBytes.Lookup([]byte(k))
				switch {
				case ind == nil:
					byBytes.AddUnknown(k)
				case byBytes.Has(ind, g):
					t.Fatalf("%q placed before", k)
				default:
					byBytes.Put(ind, g, v)
				}
			}
			if !slices.Equal(byPlace.Given, byBytes.Given) || !slices.Equal(byPlace.Vals, byBytes.Vals) || byPlace.Placed != len(tc.m) || byBytes.Placed != len(tc.m) {
				t.Fatalf("Place %v %v, Lookup and Put %v %v", byPlace.Given, byPlace.Vals, byBytes.Given, byBytes.Vals)
			}
			for _, ind := range f.Indicators {
				if g := byBytes.Given[ind.Index]; g == rules.ByID || g == rules.ByName {
					for _, kind := range []rules.Given{rules.ByID, rules.ByName} {
						if got := byBytes.Has(ind, kind); got != (kind == g) {
							t.Fatalf("%s given %v: Has(%v) = %v", ind.ID, g, kind, got)
						}
					}
				}
			}
			// In sorted and in reverse order, as a decoder meets them:
			// what the key table says.
			order := slices.Sorted(maps.Keys(tc.m))
			for range 2 {
				var seq rules.Placement[any]
				seq.Reset(f)
				for _, k := range order {
					ind, g := seq.Lookup([]byte(k))
					want, _ := f.Indicator(k)
					if ind != want || (ind != nil && (g == rules.ByID) != (k == ind.ID)) {
						t.Fatalf("%q in order %v: %v %v, want %v", k, order, ind, g, want)
					}
				}
				slices.Reverse(order)
			}
			if want := len(tc.unknown) == 0 && len(tc.twice) == 0 && !slices.ContainsFunc(tc.used, func(u string) bool { return u == "a=甲:1" || u == "b=乙:3" }); byPlace.ByIDOnly() != want {
				t.Fatalf("ByIDOnly %v, want %v", byPlace.ByIDOnly(), want)
			}
		})
	}
}
