package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

func init() {
	register("tensors", "tensors add [-store DIR] FILE... | tensors ls [-store DIR]",
		"add the tensors of .npy/.npz/.safetensors/.pt files to a content-addressed store (\"<hash> <name>\" per tensor), or list it", runTensors)
	details["tensors"] = `A .npy file is one tensor named by its path; in the other formats each
tensor is named FILE:KEY (KEY as in the file, e.g. model.pt:first.weight).
The names are recorded in DIR/names.tsv, one "<hash>\t<name>" line per
tensor added (appended; a name may repeat). tensors ls prints one line per
stored tensor: hash, dtype, shape and the names it was added under.`
}

func runTensors(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "ls" {
		return runTensorsLs(args[1:], stdout, stderr)
	}
	fs := newFlags("tensors add", stderr)
	dir := fs.String("store", "", "store `DIR` (created if missing; default: the default tensor store)")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		return helpRequest{fs}
	}
	if len(args) == 0 || args[0] != "add" {
		return usagef("want the subcommand add or ls")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := defaultStore(dir); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("want at least one weight file (.npy, .npz, .safetensors, .pt)")
	}
	if st, err := os.Stat(*dir); err == nil && !st.IsDir() {
		return fmt.Errorf("%s: tensor store: not a directory", *dir)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("%s: tensor store: %w", *dir, underlying(err))
	}
	st, err := weights.OpenStore(*dir)
	if err != nil {
		return fileErr(*dir, err)
	}
	// Every file is checked before any is added, so a bad file leaves the
	// store as it was and all problems are reported at once.
	var loaded []namedTensor
	var errs []string
	for _, f := range fs.Args() {
		if err := checkReadable(f, false); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		ts, err := loadWeightFile(f)
		if err != nil {
			errs = append(errs, fileErr(f, err).Error())
			continue
		}
		loaded = append(loaded, ts...)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
		}
		return errReported
	}
	var index strings.Builder
	for _, nt := range loaded {
		h, err := st.Add(nt.t)
		if err != nil {
			return fmt.Errorf("%s: %w", nt.name, err)
		}
		fmt.Fprintf(stdout, "%s %s\n", h, nt.name)
		fmt.Fprintf(&index, "%s\t%s\n", h, nt.name)
	}
	return appendIndex(*dir, index.String())
}

// namedTensor is one tensor of a weight file and the name it is added under.
type namedTensor struct {
	name string
	t    *tensor.Tensor
}

// loadWeightFile reads every tensor of path, sorted by name. A .npy file is
// read as such (so a broken one gets the npy reader's message); any other
// file goes through weights.Load, which tells the formats apart.
func loadWeightFile(path string) ([]namedTensor, error) {
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		t, err := weights.LoadNpy(path)
		if err != nil {
			return nil, err
		}
		return []namedTensor{{path, t}}, nil
	}
	m, err := weights.Load(path)
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s: no tensors in the file", path)
	}
	out := make([]namedTensor, 0, len(m))
	for k, t := range m {
		out = append(out, namedTensor{path + ":" + k, t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}
