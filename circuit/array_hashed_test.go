package circuit

import (
	"testing"

	"github.com/circopt/circopt/tensor"
)

// An Array made from a known hash is the Array NewArray makes.
func TestNewArrayHashed(t *testing.T) {
	v, err := tensor.FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	want, err := NewArray(v, "w")
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewArrayHashed(v, tensor.ContentHashHex(v), "w")
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != want.Hash() || got.ContentHash != want.ContentHash {
		t.Errorf("hash %x, want %x", got.Hash(), want.Hash())
	}
	for _, bad := range []string{"", "abc", want.ContentHash[:63] + "G"} {
		if _, err := NewArrayHashed(v, bad, "w"); err == nil {
			t.Errorf("hash %q accepted", bad)
		}
	}
}
