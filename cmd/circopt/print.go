package main

import (
	"io"
	"os"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

func init() {
	register("print", "print [-serials] [-random-tensors] [-tensors DIR] FILE|-", "canonical text of every top-level circuit", runPrint)
}

func runPrint(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("print", stderr)
	var in inputFlags
	in.register(fs)
	serials := fs.Bool("serials", false, "give every node a serial number (circopt's older form) instead of naming nodes by their unique names as rust_circuit does")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := oneFile(fs)
	if err != nil {
		return err
	}
	cs, err := in.load(path, tensor.Float32, os.Stdin)
	if err != nil {
		return err
	}
	opts := circuit.PrintOptions{Names: !*serials}
	if in.tensorsDir != "" {
		// with an explicit store, index tensors are written by hash as rust_circuit does
		if err := storeIndexTensors(in.tensorsDir, cs); err != nil {
			return err
		}
		opts.HashedIndices = true
	}
	return in.printCircuits(stdout, stderr, cs, opts)
}
