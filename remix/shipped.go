package remix

import (
	"embed"
	"fmt"
	"path"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/weights"
)

// shipped holds models A and B converted to safetensors (see
// models/README.md), so the experiments run on a fresh clone.
//
//go:embed models/*.safetensors
var shipped embed.FS

// ShippedFile is the name of the shipped safetensors file of model m.
func ShippedFile(m ModelFile) string {
	return m.File[:len(m.File)-len(path.Ext(m.File))] + ".safetensors"
}

// LoadShippedModel builds model m (A or B) from the copy embedded in the
// package over a batch of the given size.
func LoadShippedModel(m ModelFile, batch int) (circuit.Circuit, error) {
	name := "models/" + ShippedFile(m)
	data, err := shipped.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("remix: no shipped model %s: %w", m.Name, err)
	}
	sd, err := weights.DecodeSafetensors(data)
	if err != nil {
		return nil, fmt.Errorf("remix: shipped %s: %w", name, err)
	}
	c, err := BuildModel(sd, batch)
	if err != nil {
		return nil, fmt.Errorf("remix: shipped %s: %w", name, err)
	}
	return c, nil
}

// LoadModelFrom builds model m from its state dict in dir, or from the
// shipped copy when dir is "".
func LoadModelFrom(dir string, m ModelFile, batch int) (circuit.Circuit, error) {
	if dir == "" {
		return LoadShippedModel(m, batch)
	}
	return LoadModel(path.Join(dir, m.File), batch)
}
