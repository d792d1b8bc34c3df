package rewrite

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
)

// BatchToConcat computes c in batches of batchSize along axis: a Concat of
// c indexed to each batch, with each Index pushed down as far as it goes
// (rust_circuit's batch_to_concat), so every batch is computed from the
// matching slice of the inputs. The value is unchanged.
func BatchToConcat(c circuit.Circuit, axis, batchSize int) (circuit.Circuit, error) {
	shape := c.Shape()
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis >= len(shape) {
		return nil, fmt.Errorf("batch_to_concat: axis %d out of range for %s of rank %d", axis, circuit.Label(c), len(shape))
	}
	n := shape[axis]
	if batchSize <= 0 || circuit.IsSymbolic(n) || n%batchSize != 0 {
		return nil, fmt.Errorf("batch_to_concat: axis %d of %s has size %s, which batches of %d do not divide", axis, circuit.Label(c), circuit.FormatShape([]int{n}, nil), batchSize)
	}
	var parts []circuit.Circuit
	for start := 0; start < n; start += batchSize {
		idx := make([]circuit.AxisIndex, axis+1)
		for i := 0; i < axis; i++ {
			idx[i] = circuit.AxisIndex{Kind: circuit.IndexSlice}
		}
		idx[axis] = circuit.Slice(start, start+batchSize)
		x, err := circuit.NewIndex(fmt.Sprintf("%s_batch_%d", c.Name(), start/batchSize), idx, c)
		if err != nil {
			return nil, err
		}
		var part circuit.Circuit = x
		if pushed, moved, err := PushDownIndex(x, nil); err != nil {
			return nil, err
		} else if moved {
			part = pushed
		}
		parts = append(parts, part)
	}
	return circuit.NewConcat(c.Name(), axis, parts...)
}
