package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/progress"
	"github.com/circopt/circopt/tensor"
)

// evalFiles checks eval's FILE arguments: at least one, and standard input
// at most once (it can be read only once).
func evalFiles(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, usagef("missing FILE argument")
	}
	stdin := 0
	for _, a := range args {
		if a == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, usagef("standard input (-) can be given only once")
	}
	return args, nil
}

// evalFile is one FILE's circuits, parsed on their own so that each file
// is its own namespace of idents.
type evalFile struct {
	label string // as messages name the file
	cs    []circuit.Circuit
}

type evalFileSet []evalFile

// loadEvalFiles parses every FILE separately.
func loadEvalFiles(in *inputFlags, paths []string, dt tensor.DType, bar progress.Reporter) (evalFileSet, error) {
	files := make(evalFileSet, len(paths))
	if len(paths) > 1 {
		bar.Start(len(paths), "parse")
		defer bar.Finish()
	}
	for i, p := range paths {
		cs, err := in.loadValues(p, dt, os.Stdin)
		if err != nil {
			return nil, err
		}
		files[i] = evalFile{label: fileLabel(p), cs: cs}
		bar.Add(1)
	}
	return files, nil
}

// all is every file's circuits in order, for one plan, and their output
// names: the root's name as outputNames gives it, prefixed "FILE:" when
// there is more than one file.
func (fs evalFileSet) all() ([]circuit.Circuit, []string) {
	var cs []circuit.Circuit
	var names []string
	for _, f := range fs {
		cs = append(cs, f.cs...)
		for _, n := range outputNames(f.cs) {
			if len(fs) > 1 {
				n = f.label + ":" + n
			}
			names = append(names, n)
		}
	}
	return cs, names
}

// label names the files in messages about all of them.
func (fs evalFileSet) label() string {
	labels := make([]string, len(fs))
	for i, f := range fs {
		labels[i] = f.label
	}
	return strings.Join(labels, ", ")
}

// bind matches the -bind tensors to the free Symbols of every file (a
// Symbol name is shared across files) and, unless randomSymbols, names
// each file's unbound Symbols; with it they get verify's seeded draws.
func (fs evalFileSet) bind(binds map[string]*binding, randomSymbols bool, seed uint64) (map[string]*tensor.Tensor, error) {
	cs, _ := fs.all()
	if len(fs) == 1 {
		bound, err := bindSymbols(fs[0].label, cs, binds, randomSymbols)
		if err != nil || !randomSymbols {
			return bound, err
		}
		return randomInputs(fs[0].label, cs, bound, seed)
	}
	bound, err := bindSymbols(fs.label(), cs, binds, true)
	if err != nil {
		return nil, err
	}
	if randomSymbols {
		return randomInputs(fs.label(), cs, bound, seed)
	}
	var msgs []string
	for _, f := range fs {
		res, err := circuit.ResolveBindings(circuit.FreeSymbols(f.cs...), bound)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.label, err)
		}
		for _, s := range res.Unbound {
			msgs = append(msgs, unboundMessage(f.label, s))
		}
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(msgs, "\n"))
	}
	return bound, nil
}

func randomInputs(label string, cs []circuit.Circuit, bound map[string]*tensor.Tensor, seed uint64) (map[string]*tensor.Tensor, error) {
	in, err := randomBindings(cs, bound, seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return in, nil
}
