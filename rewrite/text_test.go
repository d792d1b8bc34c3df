package rewrite

import (
	"regexp"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// parse reads one circuit in the text format with random float64 arrays.
func parse(t *testing.T, src string) circuit.Circuit {
	t.Helper()
	cs, err := circuit.ParseCircuits(strings.TrimLeft(src, "\n"), circuit.ParseOptions{RandomTensors: true, DType: tensor.Float64, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("%d circuits", len(cs))
	}
	return cs[0]
}

var arrayHash = regexp.MustCompile(`Array [0-9a-f]+`)

// text prints c with Array hashes elided, so expectations do not depend on
// the random draw.
func text(c circuit.Circuit) string {
	return arrayHash.ReplaceAllString(circuit.Print(c), "Array")
}

// checkText runs rules (Simp's default set when nil) on src and compares the
// printed result with want; the value must be unchanged.
func checkText(t *testing.T, src string, rules []string, want string) {
	t.Helper()
	c := parse(t, src)
	var r circuit.Circuit
	if rules == nil {
		res, err := Simp(c, SimpOptions{Include: AggressiveSimpRuleNames()})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stop != FixedPoint {
			t.Fatalf("simp: %s", res)
		}
		r = res.Circuit
	} else {
		var err error
		if r, _, err = Apply(c, rules, nil); err != nil {
			t.Fatal(err)
		}
	}
	want = strings.TrimLeft(want, "\n")
	if got := text(r); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	sameValue(t, c, r)
}

func TestTextDistributeOnce(t *testing.T) {
	checkText(t, `
'out' Einsum ij,jk->ik
  'h' Add
    'a' [2,3] Array rand
    'b' [3] Array rand
  'w' [3,4] Array rand
`, []string{"distribute_once"}, `
0 'out' Add
  1 'a * w' Einsum ab,bc->ac
    2 'a' [2,3] Array
    3 'w' [3,4] Array
  4 'b rearrange * w' Einsum ab,bc->ac
    5 'b rearrange' Rearrange a -> b:2 a
      6 'b' [3] Array
    3
`)
}

// An index pushed below a named node changes its value, so the node it
// leaves behind is autonamed from its new children rather than keeping the
// old name; the root keeps the index's name.
func TestTextPushDownIndex(t *testing.T) {
	checkText(t, `
'logits' [3] Index [1,:]
  'resid' Add
    'mlp' GeneralFunction gelu
      'pre' Einsum ij,jk->ik
        'x' [4,5] Array rand
        'w' [5,3] Array rand
    'bias' [3] Array rand
`, []string{"push_down_index"}, `
0 'logits' Add
  1 'gelu(x idx * w)' GeneralFunction gelu
    2 'x idx * w' Einsum a,ab->b
      3 'x idx' [5] Index [1,:]
        4 'x' [4,5] Array
      5 'w' [5,3] Array
  6 'bias' [3] Array
`)
}

func TestTextEinsumFlatten(t *testing.T) {
	checkText(t, `
'y' Einsum ab,b->a
  'ab' Einsum ac,cb->ab
    'p' [2,3] Array rand
    'q' [3,4] Array rand
  'r' Einsum bd,d->b
    'm' [4,2] Array rand
    'v' [2] Array rand
`, []string{"einsum_flatten"}, `
0 'y' Einsum ab,bc,cd,d->a
  1 'p' [2,3] Array
  2 'q' [3,4] Array
  3 'm' [4,2] Array
  4 'v' [2] Array
`)
}

// 2x from the duplicate, the zero dropped, the identity einsum and the
// identity rearrange removed, log(exp(y)) = y, and 0.5y + y fused to 1.5y.
func TestTextSimp(t *testing.T) {
	checkText(t, `
'z' Add
  'inner' Add
    'x' [3] Array rand
    'zero' [] Scalar 0
    'x'
  'scaled' Einsum a,->a
    'e' Einsum a->a
      'y' [3] Array rand
    'half' [] Scalar 0.5
  'back' Rearrange a -> a
    'l' GeneralFunction log
      'ex' GeneralFunction exp
        'y'
`, nil, `
0 'z' Add
  1 Einsum a,->a
    2 'x' [3] Array
    3 [] Scalar 2
  4 Einsum a,->a
    5 'y' [3] Array
    6 [] Scalar 1.5
`)
}

// The default simp is rust_circuit's: a permuting Einsum becomes a
// Rearrange and nested Einsums are not merged.
func TestDefaultSimpIsRustCircuits(t *testing.T) {
	c := parse(t, `
'p' Einsum abc->bca
  'x' [2,3,4] Array rand
`)
	res, err := Simp(c, SimpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := text(res.Circuit); !strings.Contains(got, "Rearrange a b c -> b c a") {
		t.Errorf("permuting einsum:\n%s", got)
	}
	nested := parse(t, `
'o' Einsum ab,b->a
  'i' Einsum ab,bc->ac
    'x' [2,3] Array rand
    'y' [3,3] Array rand
  'z' [3] Array rand
`)
	res, err = Simp(nested, SimpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !circuit.Equal(res.Circuit, nested) {
		t.Errorf("default simp merged einsums:\n%s", text(res.Circuit))
	}
	agg, err := Simp(nested, SimpOptions{Include: AggressiveSimpRuleNames()})
	if err != nil || circuit.Equal(agg.Circuit, nested) {
		t.Errorf("aggressive simp did not merge: %v", err)
	}
	if _, err := SimpRuleSet("bogus"); err == nil {
		t.Error("unknown rule set accepted")
	}
}
