package main

import (
	"fmt"
	"io"
	"os"

	"github.com/circopt/circopt/weights"
)

func init() {
	register("tensors", "manage a content-addressed tensor store (tensors add -store DIR FILE.npy...)", runTensors)
}

func runTensors(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usagef("want: circopt tensors add -store DIR FILE.npy...")
	}
	fs := newFlags("tensors add", stderr)
	dir := fs.String("store", "", "store `DIR` (created if missing)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return usagef("-store DIR is required")
	}
	if fs.NArg() == 0 {
		return usagef("want at least one FILE.npy")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	st, err := weights.OpenStore(*dir)
	if err != nil {
		return err
	}
	for _, f := range fs.Args() {
		t, err := weights.LoadNpy(f)
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		h, err := st.Add(t)
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		fmt.Fprintf(stdout, "%s %s\n", h, f)
	}
	return nil
}
