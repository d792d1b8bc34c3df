package circuit

import "testing"

// rust_circuit's default print: unique names are the idents, repeats are the
// name alone, and unnamed nodes or names two nodes share keep serials.
func TestPrintNames(t *testing.T) {
	src := `0 'top' Add
  1 'b' [2] Scalar 1
  1
  2 'x' [2] Scalar 3
  3 Einsum a,a->a
    4 'x' [2] Scalar 4
    1
`
	cs, err := ParseCircuits(src, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `'top' Add
  'b' [2] Scalar 1
  'b'
  0 'x' [2] Scalar 3
  'x * b' Einsum a,a->a
    1 'x' [2] Scalar 4
    'b'
`
	got := PrintCircuits(cs, PrintOptions{Names: true})
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	back, err := ParseCircuits(got, ParseOptions{})
	if err != nil || !Equal(back[0], cs[0]) {
		t.Fatalf("reparse: %v", err)
	}
	if again := PrintCircuits(back, PrintOptions{Names: true}); again != got {
		t.Errorf("not a fixed point:\n%s", again)
	}
}

// Einsum letters and "fancy:" specs print as written, as rust_circuit's do.
func TestEinsumPrintsAsWritten(t *testing.T) {
	for _, src := range []string{
		"'e' Einsum i,hi->h\n  'x' [3] Scalar 1\n  'w' [2,3] Scalar 2\n",
		"'e' Einsum fancy: seq hid, out hid -> seq out\n  'x' [4,3] Scalar 1\n  'w' [2,3] Scalar 2\n",
	} {
		cs, err := ParseCircuits(src, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := PrintCircuits(cs, PrintOptions{Names: true}); got != src {
			t.Errorf("printed\n%s\nwant\n%s", got, src)
		}
		canon, _ := NewEinsum("e", cs[0].(*Einsum).Axes, cs[0].(*Einsum).Out, cs[0].Children()...)
		if !Equal(canon, cs[0]) {
			t.Errorf("letters changed the circuit's identity")
		}
	}
}
