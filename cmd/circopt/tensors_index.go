package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/circopt/circopt/weights"
)

// indexFile is the store's name index: one "<hash>\t<name>" line per tensor
// added, appended by tensors add. It is advisory: the .npy files are the
// store, and a tensor without a line is listed with no names.
const indexFile = "names.tsv"

// appendIndex appends lines to the store's index in one write, so two
// concurrent adds do not interleave within a line.
func appendIndex(dir, lines string) error {
	if lines == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dir, indexFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("%s: tensor store index: %v", dir, underlying(err))
	}
	if _, err := f.WriteString(lines); err != nil {
		f.Close()
		return fmt.Errorf("%s: tensor store index: %w", dir, err)
	}
	return f.Close()
}

// readIndex maps each hash to the distinct names it was added under, in
// the order first added.
func readIndex(dir string) (map[string][]string, error) {
	path := filepath.Join(dir, indexFile)
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return map[string][]string{}, nil
	}
	if err != nil {
		return nil, fileErr(path, err)
	}
	defer f.Close()
	names := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		h, name, ok := strings.Cut(sc.Text(), "\t")
		if !ok || len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("%s:%d: want \"<hash>\\t<name>\"", path, line)
		}
		if !slices.Contains(names[h], name) {
			names[h] = append(names[h], name)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return names, nil
}

// runTensorsLs prints "<hash> <dtype> <shape> <name>, <name>..." per
// stored tensor, sorted by hash.
func runTensorsLs(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tensors ls", stderr)
	dir := fs.String("store", "", "store `DIR` to list (default: the default tensor store)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := defaultStore(dir); err != nil {
		return err
	}
	if err := checkReadable(*dir, true); err != nil {
		return fmt.Errorf("%s: tensor store: %v", *dir, err)
	}
	entries, err := os.ReadDir(*dir)
	if err != nil {
		return fileErr(*dir, err)
	}
	names, err := readIndex(*dir)
	if err != nil {
		return err
	}
	var hashes []string
	for _, e := range entries {
		h, ok := strings.CutSuffix(e.Name(), ".npy")
		if ok && len(h) == 64 && strings.Trim(h, "0123456789abcdef") == "" {
			hashes = append(hashes, h)
		}
	}
	sort.Strings(hashes)
	for _, h := range hashes {
		t, err := weights.LoadNpy(filepath.Join(*dir, h+".npy"))
		if err != nil {
			return fileErr(filepath.Join(*dir, h+".npy"), err)
		}
		fmt.Fprintf(stdout, "%s %s %s %s\n", h, t.DType(), shapeText(t.Shape()), strings.Join(names[h], ", "))
	}
	return nil
}
