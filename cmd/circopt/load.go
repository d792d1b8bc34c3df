package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// inputFlags are the flags every command that reads circuits shares.
type inputFlags struct {
	randomTensors bool
	tensorsDir    string
	seed          uint64
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.randomTensors, "random-tensors", false, "make every `Array <hash>` a normal draw seeded by its hash")
	fs.StringVar(&f.tensorsDir, "tensors", "", "tensor store `DIR` that resolves `Array <hash-prefix>`")
}

// load parses every top-level circuit of path ("-" reads stdin).
func (f *inputFlags) load(path string, dt tensor.DType, stdin io.Reader) ([]circuit.Circuit, error) {
	opts := circuit.ParseOptions{File: path, RandomTensors: f.randomTensors, Seed: f.seed, DType: dt}
	if f.tensorsDir != "" {
		st, err := weights.OpenStore(f.tensorsDir)
		if err != nil {
			return nil, err
		}
		opts.Store = st
	}
	if path == "-" {
		src, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("<stdin>: %v", err)
		}
		opts.File = "<stdin>"
		return circuit.ParseCircuits(string(src), opts)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s: %v", path, underlying(err))
	}
	return circuit.ParseFile(path, opts)
}

func underlying(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
