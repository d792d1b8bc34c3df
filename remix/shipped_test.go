package remix

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// sharedModels is where the original state dicts live next to the repo;
// $REMIX_ORIGINALS overrides it (for a checkout elsewhere).
var sharedModels = func() string {
	if d := os.Getenv("REMIX_ORIGINALS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "remix")
}()

var updateShipped = flag.Bool("update-shipped", false, "rewrite models/*.safetensors from the original .pt state dicts")

// writeSafetensors writes the float32 tensors of sd as a safetensors file.
func writeSafetensors(path string, sd map[string]*tensor.Tensor) error {
	views := map[string]safetensors.TensorView{}
	for k, t := range sd {
		shape := make([]uint64, t.Rank())
		for i, d := range t.Shape() {
			shape[i] = uint64(d)
		}
		raw := make([]byte, 0, 4*t.Size())
		for _, v := range t.Float32s() {
			b := math.Float32bits(v)
			raw = append(raw, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
		}
		v, err := safetensors.NewTensorView(safetensors.F32, shape, raw)
		if err != nil {
			return err
		}
		views[k] = v
	}
	data, err := safetensors.Serialize(views, map[string]string{"source": "REMIX day 1 TwoLayerSkip state dict (torch.save)"})
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// TestShippedModelsMatchPickles checks that the shipped safetensors hold
// exactly the tensors of the original .pt state dicts (when those are
// present), and with -update-shipped rewrites them from the originals.
func TestShippedModelsMatchPickles(t *testing.T) {
	for _, m := range ModelFiles {
		orig := filepath.Join(sharedModels, m.File)
		if _, err := os.Stat(orig); err != nil {
			t.Skipf("original models not present: %v", err)
		}
		want, err := weights.LoadTorch(orig)
		if err != nil {
			t.Fatal(err)
		}
		if *updateShipped {
			if err := writeSafetensors(filepath.Join("models", ShippedFile(m)), want); err != nil {
				t.Fatal(err)
			}
		}
		got, err := weights.LoadSafetensors(filepath.Join("models", ShippedFile(m)))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("model %s: %d tensors shipped, %d in %s", m.Name, len(got), len(want), orig)
		}
		for k, w := range want {
			g, ok := got[k]
			if !ok {
				t.Fatalf("model %s: %s not shipped", m.Name, k)
			}
			if g.DType() != tensor.Float32 || !slices.Equal(g.Shape(), w.Shape()) || tensor.ContentHashHex(g) != tensor.ContentHashHex(w) {
				t.Errorf("model %s: shipped %s differs from %s (%v %v vs %v %v)", m.Name, k, orig, g.DType(), g.Shape(), w.DType(), w.Shape())
			}
		}
		if *updateShipped {
			continue // the embedded copy is the one compiled in, before the update
		}
		// The embedded copy is the file on disk.
		shippedModel, err := LoadShippedModel(m, 3)
		if err != nil {
			t.Fatal(err)
		}
		origModel, err := LoadModel(orig, 3)
		if err != nil {
			t.Fatal(err)
		}
		if shippedModel.Hash() != origModel.Hash() {
			t.Errorf("model %s: shipped circuit %s differs from the original's", m.Name, circuit.Label(shippedModel))
		}
	}
}

// TestShippedModelsLoad needs no original: both shipped models build.
func TestShippedModelsLoad(t *testing.T) {
	for _, m := range ModelFiles {
		c, err := LoadShippedModel(m, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.Shape(), []int{2, Classes}) {
			t.Errorf("model %s: shape %v", m.Name, c.Shape())
		}
	}
	if _, err := LoadShippedModel(ModelFile{"C", "model_c.pickle"}, 2); err == nil {
		t.Error("no error for a model that is not shipped")
	}
}
