package circuit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// ErrMissingTensor, wrapped by *MissingTensorError, says an Array's tensor
// was never loaded: the structure is known, the values are not.
var ErrMissingTensor = errors.New("tensor not loaded")

// MissingTensorError names the unresolved Array whose values were asked for.
type MissingTensorError struct {
	Name string
	Hash string
}

func (e *MissingTensorError) Error() string {
	return fmt.Sprintf("Array '%s': tensor %s is not in the tensor store (add it with circopt tensors add, or use -random-tensors)", e.Name, e.Hash)
}

func (e *MissingTensorError) Unwrap() error { return ErrMissingTensor }

// NewUnresolvedArray is an Array known by its hash (a lowercase hex prefix
// of a content hash) and shape only, as parsed from a line whose tensor is
// not at hand. Structure-only work (print, match, rewrite, simplify) treats
// it as any Array; only asking for its values fails. With the full 64-digit
// hash it hashes exactly as the resolved Array would.
func NewUnresolvedArray(shape []int, hash, name string) (*Array, error) {
	if hash == "" || len(hash) > 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return nil, nodeErr(KindArray, name, "tensor hash %q is not lowercase hex of 1 to 64 digits", hash)
	}
	if err := checkShape(shape); err != nil {
		return nil, nodeErr(KindArray, name, "%w", err)
	}
	if HasSymbolic(shape) {
		return nil, nodeErr(KindArray, name, "an Array's shape %s cannot be symbolic", shapeString(shape))
	}
	a := &Array{base: base{name: name, shape: cloneInts(shape)}, ContentHash: hash}
	return finish(a).(*Array), nil
}

// Resolved reports whether the Array holds its tensor.
func (a *Array) Resolved() bool { return a.Value != nil }

// Tensor returns the Array's values, or a *MissingTensorError for an
// unresolved Array.
func (a *Array) Tensor() (*tensor.Tensor, error) {
	if a.Value == nil {
		return nil, &MissingTensorError{Name: a.Name(), Hash: a.ContentHash}
	}
	return a.Value, nil
}

// Unresolved lists the unresolved Arrays under cs, each once, in walk order.
func Unresolved(cs []Circuit) []*Array {
	var out []*Array
	seen := map[Hash]bool{}
	Walk(cs, func(c Circuit) {
		if a, ok := c.(*Array); ok && a.Value == nil && !seen[a.Hash()] {
			seen[a.Hash()] = true
			out = append(out, a)
		}
	})
	return out
}

// NeedValues is nil when every Array under cs holds its tensor, otherwise
// the *MissingTensorError of the first that does not.
func NeedValues(cs []Circuit) error {
	if u := Unresolved(cs); len(u) > 0 {
		_, err := u[0].Tensor()
		return err
	}
	return nil
}
