package circuit

import (
	"regexp"
	"strings"
	"testing"
)

func TestHashedIndexRoundTrip(t *testing.T) {
	// the literal form still reads, and the default print keeps it
	src := "'i' Index [[3,0,2],0]\n  'x' [4,2] Scalar 1.5\n'j' Index [[1,0],:]\n  'y' [2,3] Scalar 2\n"
	cs, err := ParseCircuits(src, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out := PrintCircuits(cs, PrintOptions{Names: true}); !strings.Contains(out, "Index [[3,0,2],0]") {
		t.Errorf("default print lost the literal positions:\n%s", out)
	}
	out := PrintCircuits(cs, PrintOptions{Names: true, HashedIndices: true})
	// rust_circuit's form: t, 10 hex digits of the tensor's hash, the length
	if !regexp.MustCompile(`Index \[t[0-9a-f]{10} \[3\],0\]`).MatchString(out) ||
		!regexp.MustCompile(`Index \[t[0-9a-f]{10} \[2\],:\]`).MatchString(out) {
		t.Fatalf("hashed print:\n%s", out)
	}
	if _, err := ParseCircuits(out, ParseOptions{}); err == nil || !strings.Contains(err.Error(), "tensor store") {
		t.Errorf("hashed index parsed without a store: %v", err)
	}
	store := ppStore{}
	ts := IndexTensors(cs...)
	if len(ts) != 2 {
		t.Fatalf("IndexTensors found %d tensors, want 2 (one per distinct position list)", len(ts))
	}
	for _, x := range ts {
		store.add(x)
	}
	back, err := ParseCircuits(out, ParseOptions{Store: store})
	if err != nil {
		t.Fatalf("reparse with the store: %v\n%s", err, out)
	}
	for i := range cs {
		if !Equal(back[i], cs[i]) {
			t.Errorf("circuit %d changed through the hashed form:\n%s", i, out)
		}
	}
}
