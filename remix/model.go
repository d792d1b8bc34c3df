package remix

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// Node names, as in the notebook.
const (
	NameX     = "x"
	NameFirst = "first"
	NameRelu  = "relu"
	NameSkip  = "skip"
	NameLast  = "last"
)

// InputUUID is the fixed uuid of the input Symbol "x". A fixed uuid keeps
// the model's hash (and its printed form) stable from run to run.
const InputUUID = "6d4e1f0a-2b3c-4d5e-8f60-718293a4b5c6"

// Image and class sizes of TwoLayerSkip.
const (
	Pixels  = 28 * 28
	Classes = 10
)

// stateDictShapes are the tensors a TwoLayerSkip state dict must hold.
var stateDictShapes = []struct {
	name  string
	shape []int
}{
	{"first.weight", []int{Pixels, Pixels}},
	{"first.bias", []int{Pixels}},
	{"last.weight", []int{Classes, Pixels}},
	{"last.bias", []int{Classes}},
}

// Input returns the input Symbol "x" of shape [batch, 784].
func Input(batch int) (*circuit.Symbol, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("remix: batch size must be positive, got %d", batch)
	}
	return circuit.NewSymbol([]int{batch, Pixels}, InputUUID, NameX)
}

// BuildModel builds TwoLayerSkip from its state dict as the circuit
//
//	last = Linear(skip, last.weight, last.bias)
//	skip = Add(x, relu)
//	relu = relu(first)
//	first = Linear(x, first.weight, first.bias)
//
// over the input Symbol x of shape [batch, 784]; the result is the logits
// [batch, 10], named "last". Weight arrays are named by their state-dict keys.
func BuildModel(sd map[string]*tensor.Tensor, batch int) (circuit.Circuit, error) {
	arrays := map[string]circuit.Circuit{}
	for _, want := range stateDictShapes {
		t, ok := sd[want.name]
		if !ok {
			return nil, fmt.Errorf("remix: state dict has no %q (TwoLayerSkip needs first.weight, first.bias, last.weight, last.bias)", want.name)
		}
		if !slices.Equal(t.Shape(), want.shape) {
			return nil, fmt.Errorf("remix: state dict entry %q has shape %v, want %v", want.name, t.Shape(), want.shape)
		}
		if !t.DType().IsFloat() {
			return nil, fmt.Errorf("remix: state dict entry %q has dtype %v, want a float", want.name, t.DType())
		}
		a, err := circuit.NewArray(t, want.name)
		if err != nil {
			return nil, err
		}
		arrays[want.name] = a
	}
	x, err := Input(batch)
	if err != nil {
		return nil, err
	}
	first, err := circuit.Linear(NameFirst, x, arrays["first.weight"], arrays["first.bias"])
	if err != nil {
		return nil, err
	}
	relu, err := circuit.NewGeneralFunction(NameRelu, "relu", first)
	if err != nil {
		return nil, err
	}
	skip, err := circuit.NewAdd(NameSkip, x, relu)
	if err != nil {
		return nil, err
	}
	return circuit.Linear(NameLast, skip, arrays["last.weight"], arrays["last.bias"])
}

// LoadModel reads a PyTorch state dict (torch.save of TwoLayerSkip's
// state_dict) and builds the model over a batch of the given size.
func LoadModel(path string, batch int) (circuit.Circuit, error) {
	sd, err := weights.LoadTorch(path)
	if err != nil {
		return nil, err
	}
	c, err := BuildModel(sd, batch)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ModelText prints circuits in circopt's text format with 16-digit tensor
// hash prefixes (resolvable through a weights.Store holding the weights).
func ModelText(cs ...circuit.Circuit) string {
	return circuit.PrintCircuits(cs, circuit.PrintOptions{HashPrefix: 16})
}

// TestSetSize is the number of MNIST test images, the notebook's one batch.
const TestSetSize = 10000

// SaveArrays adds the tensor of every Array in c to store, so the text of
// ModelText(c) parses back (its hash prefixes resolve through the store).
func SaveArrays(store *weights.Store, c circuit.Circuit) error {
	var err error
	circuit.Walk([]circuit.Circuit{c}, func(n circuit.Circuit) {
		if a, ok := n.(*circuit.Array); ok && err == nil {
			_, err = store.Add(a.Value)
		}
	})
	return err
}
