package scrub

import (
	"archive/zip"
	"fmt"
	"os"
	"sort"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// WriteNpz writes arrays as an uncompressed .npz (numpy.load reads it),
// members in name order so that the file is reproducible.
func WriteNpz(path string, arrays map[string]*tensor.Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	names := make([]string, 0, len(arrays))
	for n := range arrays {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n + ".npy", Method: zip.Store})
		if err == nil {
			err = weights.WriteNpy(w, arrays[n])
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("%s: %s: %w", path, n, err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func indexTensor(idx []int) *tensor.Tensor {
	d := make([]int64, len(idx))
	for i, v := range idx {
		d[i] = int64(v)
	}
	t, _ := tensor.FromInt64([]int{len(d)}, d)
	return t
}

// DumpSamples writes every sampled index vector to an .npz: "ref",
// "datum/NODE", "other/NODE", "random/INPUT", and "slot/INPUT/NODE" for
// the datum each treeified input slot took, so that another implementation
// can recompute the scrub from the same draws.
func (e *Experiment) DumpSamples(path string, s *Samples) error {
	arrays := map[string]*tensor.Tensor{"ref": indexTensor(s.Ref)}
	for k, v := range s.Datum {
		arrays["datum/"+k] = indexTensor(v)
	}
	for k, v := range s.Other {
		arrays["other/"+k] = indexTensor(v)
	}
	for k, v := range s.Random {
		arrays["random/"+k] = indexTensor(v)
	}
	for _, sl := range e.tree.Slots {
		arrays["slot/"+sl.Input+"/"+sl.Node.Name] = indexTensor(s.SlotDatum(sl))
	}
	return WriteNpz(path, arrays)
}
