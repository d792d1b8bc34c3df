package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
	"github.com/circopt/circopt/weights"
)

func init() {
	register("import", "import gpt2 [-store DIR] [-heads N] MODEL.safetensors|MODEL.pt",
		"convert a Hugging Face GPT-2 state dict to a circuit (Module 't.bind_w'), its tensors added to a store", runImport)
}

func runImport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", stderr)
	store := fs.String("store", "tensors", "tensor store `DIR` (created if missing) that receives every weight")
	heads := fs.Int("heads", 0, "head count `N` (default: n_head from config.json beside the model)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 || fs.Arg(0) != "gpt2" {
		return usagef("want: import gpt2 MODEL.safetensors|MODEL.pt")
	}
	if *heads < 0 {
		return usagef("-heads must be positive, got %d", *heads)
	}
	path := fs.Arg(1)
	if err := checkReadable(path, false); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	m, err := transformer.ImportGPT2(path, transformer.ImportOptions{Heads: *heads})
	if err != nil {
		return err
	}
	text, err := m.Dump()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := storeHashed(*store, m.Weights, m.ContentHashes()); err != nil {
		return err
	}
	_, err = fmt.Fprint(stdout, text)
	return err
}

// storeArrays adds every Array under roots to the store in dir, so the
// printed circuit's hashes resolve there.
func storeArrays(dir string, roots ...circuit.Circuit) error {
	var ts []*tensor.Tensor
	circuit.Walk(roots, func(c circuit.Circuit) {
		if a, ok := c.(*circuit.Array); ok {
			ts = append(ts, a.Value)
		}
	})
	return storeTensors(dir, ts...)
}

// storeHashed adds the tensors ts to the store in dir (created if
// missing) under their already computed content hashes.
func storeHashed(dir string, ts map[string]*tensor.Tensor, hashes map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: tensor store: %w", dir, err)
	}
	st, err := weights.OpenStore(dir)
	if err != nil {
		return fileErr(dir, err)
	}
	// two writers: encoding 500 MB is CPU work that overlaps the other's I/O
	names := slices.Sorted(maps.Keys(ts))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(2, len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(names); i = int(next.Add(1) - 1) {
				errs[i] = st.AddHashed(ts[names[i]], hashes[names[i]])
			}
		}()
	}
	wg.Wait()
	for _, err := range errs { // the first in name order, as one writer would report
		if err != nil {
			return fmt.Errorf("%s: tensor store: %w", dir, err)
		}
	}
	return nil
}

// storeTensors adds ts to the store in dir (created if missing).
func storeTensors(dir string, ts ...*tensor.Tensor) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: tensor store: %w", dir, err)
	}
	st, err := weights.OpenStore(dir)
	if err != nil {
		return fileErr(dir, err)
	}
	for _, t := range ts {
		if _, err := st.Add(t); err != nil {
			return fmt.Errorf("%s: tensor store: %w", dir, err)
		}
	}
	return nil
}
