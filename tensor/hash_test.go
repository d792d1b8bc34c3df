package tensor

import "testing"

func TestContentHash(t *testing.T) {
	must := mk(t)
	x := arange(t, 2, 3)
	xt := must(x.Permute([]int{1, 0}))
	if ContentHash(xt) != ContentHash(xt.Clone()) {
		t.Fatal("a view and its copy hash differently")
	}
	if ContentHash(x) == ContentHash(xt.Clone()) {
		t.Fatal("transposed values hash like the original")
	}
	if ContentHash(x) == ContentHash(x.Cast(Float32)) {
		t.Fatal("dtype not in the hash")
	}
	if ContentHash(x) == ContentHash(must(x.Reshape([]int{3, 2}))) {
		t.Fatal("shape not in the hash")
	}
	if len(ContentHashHex(x)) != 64 {
		t.Fatal("hex length")
	}
}
