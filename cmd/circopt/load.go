package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// inputFlags are the flags every command that reads circuits shares.
type inputFlags struct {
	randomTensors bool
	tensorsDir    string
	seed          uint64
	maxMemory     byteSize
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.randomTensors, "random-tensors", false, "make every Array <hash> a normal draw seeded by its hash (with -tensors: only hashes the store lacks; a stored tensor wins)")
	fs.StringVar(&f.tensorsDir, "tensors", "", "tensor store `DIR` that resolves Array <hash-prefix> and keeps what is printed (default: $CIRCOPT_TENSORS, else circopt/tensors in the user cache directory)")
	fs.Var(&f.maxMemory, "max-memory", "refuse inputs whose estimated memory exceeds `BYTES` (1GiB, 512MiB, 2GB or plain bytes; 0: 90% of available memory)")
}

// memLimit is the memory bound in bytes (0: none known).
func (f *inputFlags) memLimit() int64 { return memoryLimit(int64(f.maxMemory)) }

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
	st, err := f.resolver()
	if err != nil {
		return nil, err
	}
	opts.Store = st
	if path == "-" {
		src, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("<stdin>: %w", err)
		}
		opts.File = fileLabel(path)
		return parseText(string(src), opts)
	}
	if err := checkReadable(path, false); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	src, err := readCircuitFile(path)
	if err != nil {
		return nil, err
	}
	return parseText(src, opts)
}

// loadValues is load for commands that evaluate: every Array must hold its
// tensor, and the first that does not is the error, before anything runs.
func (f *inputFlags) loadValues(path string, dt tensor.DType, stdin io.Reader) ([]circuit.Circuit, error) {
	cs, err := f.load(path, dt, stdin)
	if err != nil {
		return nil, err
	}
	if err := circuit.NeedValues(cs); err != nil {
		return nil, fmt.Errorf("%s: %w", fileLabel(path), err)
	}
	return cs, nil
}

// parseText reads a model file (`# info:` header) with rust_circuit's
// module library as its references, any other text as plain circuits.
func parseText(src string, opts circuit.ParseOptions) ([]circuit.Circuit, error) {
	if modlib.IsModelString(src) {
		_, cs, err := modlib.LoadModelString(src, opts)
		return cs, err
	}
	return circuit.ParseCircuits(src, opts)
}

// maxCircuitFileBytes bounds a circuit text file: circuits refer to
// tensors by hash, so even huge models print to a few megabytes.
const maxCircuitFileBytes = 1 << 30

// readCircuitFile reads a regular file after checking its size, so a huge
// (say sparse) file is refused rather than exhausting memory.
func readCircuitFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fileErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fileErr(path, err)
	}
	if st.Size() > maxCircuitFileBytes {
		return "", fmt.Errorf("%s: circuit file of %d bytes is larger than the %d allowed: %w", path, st.Size(), maxCircuitFileBytes, weights.ErrTooLarge)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxCircuitFileBytes))
	if err != nil {
		return "", fileErr(path, err)
	}
	return string(b), nil
}

// checkReadable says why path cannot be read as a regular file (wantDir
// false) or a directory (wantDir true), without the "open PATH:" noise.
// Only regular files are read: a FIFO would block the open and a device
// such as /dev/zero would never end.
func checkReadable(path string, wantDir bool) error {
	st, err := os.Stat(path)
	if err != nil {
		return underlying(err)
	}
	m := st.Mode()
	switch {
	case wantDir && !st.IsDir():
		return errors.New("not a directory")
	case wantDir:
		return nil
	case st.IsDir():
		return errors.New("is a directory, want a file")
	case m&os.ModeNamedPipe != 0:
		return errors.New("is a named pipe, want a regular file")
	case m&os.ModeDevice != 0:
		return errors.New("is a device, want a regular file")
	case !m.IsRegular():
		return errors.New("is not a regular file")
	}
	return nil
}

func underlying(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError // a rename
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// fileErr prefixes err with path unless it already names it, and drops
// the os package's "open PATH:" wrapping.
func fileErr(path string, err error) error {
	u := underlying(err)
	if strings.HasPrefix(u.Error(), path+":") {
		return u
	}
	return fmt.Errorf("%s: %w", path, u)
}

// fileLabel is how messages name FILE: "<stdin>" for "-", as the parser does.
func fileLabel(path string) string {
	if path == "-" {
		return "<stdin>"
	}
	return path
}
