package circuit

import (
	"errors"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// An Array whose tensor is missing keeps its text: it prints back the same,
// hashes as the resolved Array with the same full hash, and only evaluating
// it fails, naming the Array and the hash.
func TestUnresolvedArray(t *testing.T) {
	w := pp(tensor.FromFloat64([]int{2, 3}, []float64{1, 2, 3, 4, 5, 6}))
	full := tensor.ContentHashHex(w)
	src := "'y' Einsum ab,b->a\n  'w' [2,3] Array " + full + "\n  'x' [3] Array 0a1b2c\n"

	cs := ppParse(t, src, ParseOptions{})
	if got := PrintCircuits(cs, PrintOptions{Names: true}); got != src {
		t.Errorf("print of unresolved arrays =\n%s\nwant\n%s", got, src)
	}
	un := Unresolved(cs)
	if len(un) != 2 || un[0].Name() != "w" || un[1].ContentHash != "0a1b2c" {
		t.Fatalf("Unresolved = %v", un)
	}

	st := ppStore{}
	st.add(w)
	withW := ppParse(t, src, ParseOptions{Store: st})
	if a := withW[0].Children()[0].(*Array); !a.Resolved() || a.Hash() != un[0].Hash() {
		t.Errorf("the resolved 'w' hashes differently from the unresolved one")
	}
	if withW[0].Hash() != cs[0].Hash() {
		t.Errorf("the circuit's hash depends on whether 'w' was loaded")
	}

	_, err := Evaluate(withW[0], EvalOptions{})
	var miss *MissingTensorError
	if !errors.As(err, &miss) || !errors.Is(err, ErrMissingTensor) || miss.Name != "x" {
		t.Fatalf("evaluating with 'x' missing: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "'x'") || !strings.Contains(msg, "0a1b2c") || strings.Contains(msg, "\n") {
		t.Errorf("error %q does not name the Array and its hash on one line", msg)
	}
	if err := NeedValues(withW); !errors.As(err, &miss) || miss.Hash != "0a1b2c" {
		t.Errorf("NeedValues = %v", err)
	}
	if err := NeedValues(ppParse(t, "'x' [3] Array rand\n", ParseOptions{})); err != nil {
		t.Errorf("NeedValues of a drawn array: %v", err)
	}
}

func TestNewUnresolvedArrayChecks(t *testing.T) {
	for _, c := range []struct {
		hash  string
		shape []int
		want  string
	}{
		{"", []int{2}, "not lowercase hex"},
		{"ABC", []int{2}, "not lowercase hex"},
		{strings.Repeat("a", 65), []int{2}, "not lowercase hex"},
		{"abc", []int{-1}, "negative"},
	} {
		if _, err := NewUnresolvedArray(c.shape, c.hash, "w"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewUnresolvedArray(%v, %q) = %v, want %q", c.shape, c.hash, err, c.want)
		}
	}
}
