// Command ship writes the trained paren balancer into the repository:
//
//	go run ./training/parens/ship [-in training/parens/out] [-out examples/day4b]
//
// From IN/weights.safetensors and IN/info.json (written by train.py) it
// writes OUT/model.circ (rust_circuit's model file layout, through
// modlib.DumpModelString), OUT/scrub_model.circ (the day-4b loss circuit
// remix.BuildParen makes from the same weights, whose free Symbols tokens
// and is_balanced are the dataset's inputs), OUT/hypotheses/*.json (the
// day's experiments) and the tensors of both circuits into OUT/store.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/weights"
)

func main() {
	in := flag.String("in", "training/parens/out", "training output `DIR`")
	out := flag.String("out", "examples/day4b", "example `DIR`")
	flag.Parse()
	if err := ship(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "ship:", err)
		os.Exit(1)
	}
}

func ship(in, out string) error {
	w, err := weights.LoadSafetensors(filepath.Join(in, "weights.safetensors"))
	if err != nil {
		return err
	}
	infoPath := filepath.Join(in, "info.json")
	js, err := os.ReadFile(infoPath)
	if err != nil {
		return err
	}
	info, err := modlib.ParseInfo(string(js))
	if err != nil {
		return fmt.Errorf("%s: %w", infoPath, err)
	}
	text, err := modlib.DumpModelString(info, w)
	if err != nil {
		return err
	}
	storeDir := filepath.Join(out, "store")
	if err := os.MkdirAll(filepath.Join(out, "hypotheses"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return err
	}
	st, err := weights.OpenStore(storeDir)
	if err != nil {
		return err
	}
	for _, t := range w {
		if _, err := st.Add(t); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(out, "model.circ"), []byte(text), 0o644); err != nil {
		return err
	}
	// the loss circuit is built from the file as loaded, as anyone would
	m, err := remix.LoadParenModel(filepath.Join(out, "model.circ"), storeDir)
	if err != nil {
		return err
	}
	pc, err := remix.BuildParen(m.Weights)
	if err != nil {
		return err
	}
	if err := remix.SaveArrays(st, pc.Loss); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "scrub_model.circ"), []byte(remix.ModelText(pc.Loss)), 0o644); err != nil {
		return err
	}
	for _, e := range remix.ParenExperiments() {
		b, err := e.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "hypotheses", e.Name+".json"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
