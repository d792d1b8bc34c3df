package main

import (
	"fmt"
	"io"
	"os"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/ui"
)

func init() {
	register("ui", "ui [-addr HOST:PORT] [-dtype float32|float64] [-random-tensors] [-tensors DIR] [-bind NAME=FILE.npy]... FILE.circ...",
		"serve a web page showing the circuits as a tree, searchable by matcher, with node values as heatmaps, lines or images; two or more FILEs are variants compared node by node", runUI)
	details["ui"] = "The page and its JSON API (see the ui package) are served from the binary; only the\n" +
		"given circuits are reachable. Listens on " + ui.DefaultAddr + " unless -addr says otherwise;\n" +
		"port 0 picks a free port. Runs until interrupted."
}

// uiReady is called with the running server (tests stop it through it).
var uiReady = func(*ui.Server) {}

func runUI(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ui", stderr)
	var in inputFlags
	in.register(fs)
	addr := fs.String("addr", ui.DefaultAddr, "listen on `HOST:PORT` (loopback by default)")
	dtypeName := fs.String("dtype", "float32", "evaluation dtype `float32|float64`")
	fs.Uint64Var(&in.seed, "seed", 0, "`N` seeds the Array rand draws")
	var binds multiFlag
	fs.Var(&binds, "bind", "`NAME=FILE.npy` binds the free Symbol NAME (or uuid) in every FILE (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("want at least one FILE.circ")
	}
	dt, err := tensor.ParseDType(*dtypeName)
	if err != nil || !dt.IsFloat() {
		return usagef("-dtype must be float32 or float64, got %q", *dtypeName)
	}
	bindings, err := loadBindings(binds)
	if err != nil {
		return err
	}
	var vs []ui.Variant
	used := map[string]bool{}
	for _, path := range fs.Args() {
		if path == "-" {
			return usagef("ui reads files, not standard input")
		}
		cs, err := in.loadValues(path, dt, os.Stdin)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return fmt.Errorf("%s: no circuits", path)
		}
		// A -bind may name a Symbol only some variants have: each file
		// gets the bindings its free Symbols name.
		mine := map[string]*binding{}
		for _, s := range circuit.FreeSymbols(cs...) {
			for _, k := range []string{s.Name(), s.UUID} {
				if b, ok := bindings[k]; ok && k != "" {
					mine[k] = b
					used[k] = true
				}
			}
		}
		inputs, err := bindSymbols(path, cs, mine, true)
		if err != nil {
			return err
		}
		vs = append(vs, ui.Variant{Name: path, Roots: cs, Bindings: inputs})
	}
	for k, b := range bindings {
		if !used[k] {
			return fmt.Errorf("%s: -bind %s: no free Symbol of any FILE has that name or uuid", b.file, k)
		}
	}
	srv, err := ui.Serve(ui.Options{Addr: *addr, DType: dt, Variants: vs})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "serving %s (interrupt to stop)\n", srv.URL())
	uiReady(srv)
	return srv.WaitInterrupt()
}
