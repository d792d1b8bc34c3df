package main

import (
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"

	"github.com/circopt/circopt/blas"
)

func init() {
	register("version", "version", "the build, and which BLAS backend is in use and why", runVersion)
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	b, err := blas.Ensure()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "circopt %s %s %s/%s GOMAXPROCS=%d\n", version, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH, goruntime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "blas: %s\n", b)
	if b.Detail != "" {
		fmt.Fprintf(stdout, "      %s\n", b.Detail)
	}
	fmt.Fprintf(stdout, "      compiled in: %v (force one with %s)\n", blas.Available(), blas.EnvVar)
	return nil
}

// blasBackend names the GEMM implementation in use and why.
func blasBackend() string {
	b, err := blas.Ensure()
	if err != nil {
		return "error: " + err.Error()
	}
	return b.String()
}
