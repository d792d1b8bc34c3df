package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// inputFlags are the flags every command that reads circuits shares.
type inputFlags struct {
	randomTensors bool
	tensorsDir    string
	seed          uint64
	maxMemory     int64
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.randomTensors, "random-tensors", false, "make every Array <hash> a normal draw seeded by its hash (with -tensors: only hashes the store lacks; a stored tensor wins)")
	fs.StringVar(&f.tensorsDir, "tensors", "", "tensor store `DIR` that resolves Array <hash-prefix>")
	fs.Int64Var(&f.maxMemory, "max-memory", 0, "refuse inputs whose estimated memory exceeds `BYTES` (0: 90% of available memory)")
}

// memLimit is the memory bound in bytes (0: none known).
func (f *inputFlags) memLimit() int64 { return memoryLimit(f.maxMemory) }

// load parses every top-level circuit of path ("-" reads stdin).
func (f *inputFlags) load(path string, dt tensor.DType, stdin io.Reader) ([]circuit.Circuit, error) {
	if f.maxMemory < 0 {
		return nil, usagef("-max-memory must be at least 0, got %d", f.maxMemory)
	}
	opts := circuit.ParseOptions{File: path, RandomTensors: f.randomTensors, Seed: f.seed, DType: dt}
	// A random array is drawn while parsing: bound it by the memory limit
	// too, so that a typo'd shape is an error rather than a killed process.
	if limit := f.memLimit(); limit > 0 {
		if dt == 0 {
			dt = tensor.Float32
		}
		if n := limit / int64(dt.Size()); n < circuit.DefaultMaxRandomElements {
			opts.MaxRandomElements = int(max(n, 1))
		}
	}
	if f.tensorsDir != "" {
		if err := checkReadable(f.tensorsDir, true); err != nil {
			return nil, fmt.Errorf("%s: tensor store: %v", f.tensorsDir, err)
		}
		st, err := weights.OpenStore(f.tensorsDir)
		if err != nil {
			return nil, fileErr(f.tensorsDir, err)
		}
		opts.Store = storeFirst{st}
	}
	if path == "-" {
		src, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("<stdin>: %v", err)
		}
		opts.File = fileLabel(path)
		return circuit.ParseCircuits(string(src), opts)
	}
	if err := checkReadable(path, false); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return circuit.ParseFile(path, opts)
}

// checkReadable says why path cannot be read as a file (wantDir false)
// or a directory (wantDir true), without the "open PATH:" noise.
func checkReadable(path string, wantDir bool) error {
	st, err := os.Stat(path)
	if err != nil {
		return underlying(err)
	}
	switch {
	case wantDir && !st.IsDir():
		return errors.New("not a directory")
	case !wantDir && st.IsDir():
		return errors.New("is a directory, want a file")
	}
	return nil
}

func underlying(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileErr prefixes err with path unless it already names it, and drops
// the os package's "open PATH:" wrapping.
func fileErr(path string, err error) error {
	msg := underlying(err).Error()
	if strings.HasPrefix(msg, path+":") {
		return errors.New(msg)
	}
	return fmt.Errorf("%s: %s", path, msg)
}

// fileLabel is how messages name FILE: "<stdin>" for "-", as the parser does.
func fileLabel(path string) string {
	if path == "-" {
		return "<stdin>"
	}
	return path
}
