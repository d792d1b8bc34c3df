package rewrite

import (
	"strings"
	"testing"
)

func TestParseRuleNames(t *testing.T) {
	got, err := ParseRuleNames(" add_flatten, einsum_flatten ,add_flatten")
	if err != nil || strings.Join(got, "|") != "add_flatten|einsum_flatten|add_flatten" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", ",", "add_flatten,", "nope", "add_flatten,,einsum_flatten"} {
		if _, err := ParseRuleNames(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func FuzzParseRuleNames(f *testing.F) {
	for _, s := range []string{"add_flatten", "add_flatten,einsum_flatten", " simp ", "", ",,", "push_down_index,\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := ParseRuleNames(s)
		if err != nil {
			return
		}
		if len(names) == 0 {
			t.Fatalf("%q: no names and no error", s)
		}
		for _, n := range names {
			if _, ok := Lookup(n); !ok {
				t.Fatalf("%q: unknown name %q accepted", s, n)
			}
		}
	})
}

// TestAllRulesIsACopy: editing what AllRules returns leaves the table (and
// Lookup, Simp's default set) alone.
func TestAllRulesIsACopy(t *testing.T) {
	rs := AllRules()
	if len(rs) != len(RuleNames()) || rs[0].Name != rules[0].Name {
		t.Fatalf("AllRules: %d rules, first %q", len(rs), rs[0].Name)
	}
	name := rs[0].Name
	rs[0].Name, rs[0].Simp = "edited", !rs[0].Simp
	if r, ok := Lookup(name); !ok || r.Simp == rs[0].Simp || AllRules()[0].Name != name {
		t.Fatal("AllRules returned the table itself")
	}
}
