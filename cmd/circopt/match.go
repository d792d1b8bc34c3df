package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

func init() {
	register("get", "get [-paths | -tree] MATCHER FILE|-", "what a MATCHER finds: one ident (and name) per line, the path to each, or the subtrees", runGet)
	details["get"] = `Nodes are named by their print idents (as circopt print numbers them) and
quoted names: 4 'x'. -paths prints, for each node found, the path from its
root circuit down to it on one line, nodes joined by " > " (the first path
of a pre-order walk that finds it, as match.GetPaths): 0 'last' > 2 'skip' > 4 'x'.
-tree prints the found subtrees in the text format (numbered afresh), so the
output parses back. Finding nothing is exit status 1, as for patch.`
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
	paths := fs.Bool("paths", false, "print the path from the root to each node found, nodes joined by \" > \"")
	tree := fs.Bool("tree", false, "print the found subtrees in the text format")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("want MATCHER FILE, got %d argument(s)", fs.NArg())
	}
	if *paths && *tree {
		return usagef("-paths and -tree do not go together")
	}
	m, err := match.ParseMatcher(fs.Arg(0))
	if err != nil {
		return usagef("%v", err)
	}
	cs, err := in.load(fs.Arg(1), tensor.Float32, os.Stdin)
	if err != nil {
		return err
	}
	label := fileLabel(fs.Arg(1))
	ids := printIdents(cs)
	nodeText := func(c circuit.Circuit) string {
		if c.Name() == "" {
			return ids[c.Hash()]
		}
		return ids[c.Hash()] + " " + circuit.QuoteName(c.Name())
	}
	var found []circuit.Circuit
	var lines []string
	if *paths {
		seen := map[circuit.Hash]bool{}
		for _, c := range cs {
			ps, err := match.GetPaths(c, m)
			if err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
			for _, p := range ps {
				if f := p[len(p)-1]; !seen[f.Hash()] {
					seen[f.Hash()] = true
					found = append(found, f)
				}
				parts := make([]string, len(p))
				for i, n := range p {
					parts[i] = nodeText(n)
				}
				lines = append(lines, strings.Join(parts, " > "))
			}
		}
	} else {
		// one walk over all roots: shared subtrees are visited once
		if found, err = match.GetAll(cs, m); err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		for _, f := range found {
			lines = append(lines, nodeText(f))
		}
	}
	if len(found) == 0 {
		return nothingFound(label, m)
	}
	if *tree {
		return in.printCircuits(stdout, stderr, found, circuit.PrintOptions{})
	}
	_, err = fmt.Fprintln(stdout, strings.Join(lines, "\n"))
	return err
}

// nothingFound is get's and patch's error when the matcher finds nothing.
func nothingFound(file string, m match.IterativeMatcher) error {
	return fmt.Errorf("%s: matcher %s found nothing", file, m)
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
			if !slices.Equal(x.Shape(), patch.Shape()) {
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
		return nothingFound(path, m)
	}
	return in.printCircuits(stdout, stderr, out, circuit.PrintOptions{})
}
