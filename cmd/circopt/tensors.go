package main

import (
	"fmt"
	"io"
	"os"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

func init() {
	register("tensors", "tensors add -store DIR FILE.npy...", "add .npy files to a content-addressed tensor store (DIR is created if missing); prints \"<hash> <file>\" per tensor", runTensors)
}

func runTensors(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tensors add", stderr)
	dir := fs.String("store", "", "store `DIR` (created if missing)")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		return helpRequest{fs}
	}
	if len(args) == 0 || args[0] != "add" {
		return usagef("want the subcommand add")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return usagef("-store DIR is required")
	}
	if fs.NArg() == 0 {
		return usagef("want at least one FILE.npy")
	}
	if st, err := os.Stat(*dir); err == nil && !st.IsDir() {
		return fmt.Errorf("%s: tensor store: not a directory", *dir)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("%s: tensor store: %w", *dir, underlying(err))
	}
	st, err := weights.OpenStore(*dir)
	if err != nil {
		return fileErr(*dir, err)
	}
	// Every file is checked before any is added, so a bad file leaves the
	// store as it was and all problems are reported at once.
	var loaded []*tensor.Tensor
	var errs []string
	for _, f := range fs.Args() {
		if err := checkReadable(f, false); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		t, err := weights.LoadNpy(f)
		if err != nil {
			errs = append(errs, fileErr(f, err).Error())
			continue
		}
		loaded = append(loaded, t)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
		}
		return errReported
	}
	for i, f := range fs.Args() {
		h, err := st.Add(loaded[i])
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		fmt.Fprintf(stdout, "%s %s\n", h, f)
	}
	return nil
}
