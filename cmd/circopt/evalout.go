package main

import (
	"archive/zip"
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// checkOutPath checks -o before any work is done: a .npz or .npy name.
func checkOutPath(out string) error {
	if out == "" || strings.HasSuffix(out, ".npz") || strings.HasSuffix(out, ".npy") {
		return nil
	}
	return usagef("-o must name a .npz file (or a .npy file for exactly one output), got %q", out)
}

// saveOutputs writes the outputs in dtype dt: one .npy array, or an .npz
// archive (numpy.savez's layout: stored members NAME.npy) under names.
func saveOutputs(out string, names []string, vals []*tensor.Tensor, dt tensor.DType) error {
	for i, v := range vals {
		if v.DType() != dt {
			vals[i] = v.Cast(dt)
		}
	}
	if strings.HasSuffix(out, ".npy") {
		if err := weights.SaveNpy(out, vals[0]); err != nil {
			os.Remove(out) // no half-written file
			return fileErr(out, err)
		}
		return nil
	}
	f, err := os.Create(out)
	if err != nil {
		return fileErr(out, err)
	}
	err = writeOutputsNpz(f, names, vals)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out) // no half-written archive
		return fileErr(out, err)
	}
	return nil
}

func writeOutputsNpz(f *os.File, names []string, vals []*tensor.Tensor) error {
	bw := bufio.NewWriter(f)
	zw := zip.NewWriter(bw)
	for i, v := range vals {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: names[i] + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		if err := weights.WriteNpy(w, v); err != nil {
			return fmt.Errorf("output %s: %w", quoteName(names[i]), err)
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
