// Command day3 ships the trained induction model of REMIX day 3 and the
// day's loss circuit:
//
//	go run ./examples/day3 [-weights training/induction/out] [-dir examples/day3]
//
// It reads train.py's weights.safetensors and info.json, writes model.circ
// (rust_circuit's layout, via modlib.DumpModelString) and loss.circ (the
// per-example loss on repeated tokens, remix.Day3Loss, with free Symbols
// 'toks' and 'repeated' named after data.npz's arrays), and adds every
// tensor both files name to the store DIR/store. Run the day's table with
// `go run ./cmd/remix -day 3`, or one scrub with `circopt scrub` (see the
// README).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/weights"
)

func main() {
	src := flag.String("weights", "training/induction/out", "directory of train.py's weights.safetensors and info.json")
	dir := flag.String("dir", "examples/day3", "output directory (model.circ, loss.circ, store/)")
	flag.Parse()
	if err := run(*src, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "day3:", err)
		os.Exit(1)
	}
}

func run(src, dir string) error {
	ws, err := weights.Load(filepath.Join(src, "weights.safetensors"))
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(src, "info.json"))
	if err != nil {
		return err
	}
	info, err := modlib.ParseInfo(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(src, "info.json"), err)
	}
	if len(info.Extra) == 0 || string(info.Extra) == "null" {
		info.Extra = json.RawMessage("null")
	}
	text, err := modlib.DumpModelString(info, ws)
	if err != nil {
		return err
	}
	storeDir := filepath.Join(dir, "store")
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return err
	}
	st, err := weights.OpenStore(storeDir)
	if err != nil {
		return err
	}
	for _, t := range ws {
		if _, err := st.Add(t); err != nil {
			return err
		}
	}
	modelPath := filepath.Join(dir, "model.circ")
	if err := os.WriteFile(modelPath, []byte(text), 0o644); err != nil {
		return err
	}
	m, err := remix.LoadDay3Model(modelPath, storeDir)
	if err != nil {
		return err
	}
	loss, err := remix.Day3Loss(m, remix.Day3TrainedHeads, remix.Day3Seq)
	if err != nil {
		return err
	}
	if err := remix.SaveArrays(st, loss); err != nil {
		return err
	}
	lossText := "# REMIX day 3: per-example loss on repeated tokens of the trained induction model\n" +
		circuit.PrintCircuits([]circuit.Circuit{loss}, circuit.PrintOptions{HashPrefix: 24})
	return os.WriteFile(filepath.Join(dir, "loss.circ"), []byte(lossText), 0o644)
}
