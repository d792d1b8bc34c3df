package main

import (
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/weights"
)

// storeIndexTensors adds cs's index tensors to the tensor store in dir, so
// that print's rust_circuit-style hashed indices parse back with -tensors DIR.
func storeIndexTensors(dir string, cs []circuit.Circuit) error {
	st, err := weights.OpenStore(dir)
	if err != nil {
		return fileErr(dir, err)
	}
	for _, t := range circuit.IndexTensors(cs...) {
		if _, err := st.Add(t); err != nil {
			return err
		}
	}
	return nil
}
