package circuit

import (
	"strings"

	"github.com/circopt/circopt/tensor"
)

// NewArrayHashed is NewArray for a caller that already holds hash =
// tensor.ContentHashHex(t) (computed once for a circuit and a tensor
// store, or for many tensors in parallel): hashing is most of the cost of
// wrapping a large weight. The hash must be the full 64 lowercase hex
// digits; that it is t's is the caller's contract, not checked here.
func NewArrayHashed(t *tensor.Tensor, hash, name string) (*Array, error) {
	if t == nil {
		return nil, nodeErr(KindArray, name, "nil tensor")
	}
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return nil, nodeErr(KindArray, name, "tensor hash %q is not 64 lowercase hex digits", hash)
	}
	a := &Array{base: base{name: name, shape: t.Shape()}, Value: t, ContentHash: hash}
	return finish(a).(*Array), nil
}
