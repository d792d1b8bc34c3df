package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

func init() {
	register("get", "get MATCHER FILE|-", "what a MATCHER finds, one ident (and name) per line", runGet)
	register("patch", "patch -at MATCHER -with PATCH.circ FILE|-", "replace what -at finds, along matched paths only, with -with's first circuit", runPatch)
}

// printIdents numbers nodes as PrintCircuits does: serial numbers in print
// order (pre-order, first occurrence) across all circuits.
func printIdents(cs []circuit.Circuit) map[circuit.Hash]string {
	ids := map[circuit.Hash]string{}
	var rec func(c circuit.Circuit)
	rec = func(c circuit.Circuit) {
		if _, ok := ids[c.Hash()]; ok {
			return
		}
		ids[c.Hash()] = strconv.Itoa(len(ids))
		for _, ch := range c.Children() {
			rec(ch)
		}
	}
	for _, c := range cs {
		rec(c)
	}
	return ids
}

func runGet(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("get", stderr)
	var in inputFlags
	in.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("want MATCHER FILE, got %d argument(s)", fs.NArg())
	}
	m, err := match.ParseMatcher(fs.Arg(0))
	if err != nil {
		return usagef("%v", err)
	}
	cs, err := in.load(fs.Arg(1), tensor.Float32, os.Stdin)
	if err != nil {
		return err
	}
	ids := printIdents(cs)
	// one walk over all roots: shared subtrees are visited once
	found, err := match.GetAll(cs, m)
	if err != nil {
		return fmt.Errorf("%s: %w", fileLabel(fs.Arg(1)), err)
	}
	for _, f := range found {
		line := ids[f.Hash()]
		if f.Name() != "" {
			line += " " + circuit.QuoteName(f.Name())
		}
		fmt.Fprintln(stdout, line)
	}
	return nil
}

func runPatch(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("patch", stderr)
	var in inputFlags
	in.register(fs)
	at := fs.String("at", "", "`MATCHER` for the nodes to replace")
	with := fs.String("with", "", "`PATCH.circ` whose first circuit replaces them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := oneFile(fs)
	if err != nil {
		return err
	}
	if *at == "" || *with == "" {
		return usagef("-at MATCHER and -with PATCH.circ are required")
	}
	if *with == "-" && path == "-" {
		return usagef("-with and FILE cannot both read standard input")
	}
	m, err := match.ParseMatcher(*at)
	if err != nil {
		return usagef("-at: %v", err)
	}
	patches, err := in.load(*with, tensor.Float32, os.Stdin)
	if err != nil {
		return err
	}
	if len(patches) == 0 {
		return fmt.Errorf("%s: no circuit in the patch file", *with)
	}
	patch := patches[0]
	cs, err := in.load(path, tensor.Float32, os.Stdin)
	if err != nil {
		return err
	}
	path = fileLabel(path)
	out := make([]circuit.Circuit, len(cs))
	total := 0
	for i, c := range cs {
		r, err := match.Update(c, m, func(x circuit.Circuit) (circuit.Circuit, error) {
			if !sameShape(x.Shape(), patch.Shape()) {
				return nil, fmt.Errorf("%s: patch %s has shape %s but the matched node %s has shape %s",
					*with, circuit.Label(patch), shapeText(patch.Shape()), circuit.Label(x), shapeText(x.Shape()))
			}
			total++
			return patch, nil
		}, match.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		out[i] = r
	}
	if total == 0 {
		return fmt.Errorf("%s: matcher %s found nothing to patch", path, m)
	}
	_, err = fmt.Fprint(stdout, circuit.PrintCircuits(out, circuit.PrintOptions{}))
	return err
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
