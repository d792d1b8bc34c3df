package circuit

import (
	"strconv"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// rust_circuit writes an index tensor by its hash, "t<10 hex digits> [n]",
// and reads it back from the tensor store; these helpers give that form and
// the tensors a caller must store for the text to parse back.

// hashedIndexDigits is how many hex digits of the hash rust_circuit prints.
const hashedIndexDigits = 10

// PositionsTensor is a tensor axis index's positions as a rank-1 int64
// tensor, the tensor its hashed form names.
func (a AxisIndex) PositionsTensor() *tensor.Tensor {
	t, err := tensor.FromInt64([]int{len(a.Positions)}, a.Positions)
	if err != nil {
		panic("circuit: rank-1 positions tensor: " + err.Error()) // the shape is the data's length
	}
	return t
}

// FormatIndexHashed is FormatIndex with every tensor axis index in
// rust_circuit's hashed form ("[t292d9fdb22 [6],0]").
func FormatIndexHashed(idx []AxisIndex) string {
	parts := make([]string, len(idx))
	for i, a := range idx {
		if a.Kind != IndexTensor {
			parts[i] = a.String()
			continue
		}
		h := tensor.ContentHashHex(a.PositionsTensor())
		parts[i] = "t" + h[:hashedIndexDigits] + " [" + strconv.Itoa(len(a.Positions)) + "]"
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// IndexTensors lists, once each, the positions tensors of the Index and
// Scatter nodes reachable from cs: what a tensor store must hold for
// PrintOptions.HashedIndices output to parse back.
func IndexTensors(cs ...Circuit) []*tensor.Tensor {
	var out []*tensor.Tensor
	seen := map[string]bool{}
	Walk(cs, func(c Circuit) {
		var idx []AxisIndex
		switch n := c.(type) {
		case *Index:
			idx = n.Idx
		case *Scatter:
			idx = n.Idx
		}
		for _, a := range idx {
			if a.Kind != IndexTensor {
				continue
			}
			t := a.PositionsTensor()
			if h := tensor.ContentHashHex(t); !seen[h] {
				seen[h] = true
				out = append(out, t)
			}
		}
	})
	return out
}
