package bench

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// ProcessFixture is the inputs of the whole-process figures, written to a
// directory: a tensor store, the .npy files the reference program reads
// and two circuit files whose Arrays come from the store.
//
//   - Matmul: 'total' Einsum ab-> over 'prod' Einsum ab,bc->ac of two
//     stored n×n float32 matrices A and B (A.npy, B.npy).
//   - Chain: 'chain' Einsum ab,bc,cd,de->ae of stored 10×1000, 1000×10,
//     10×1000 and 1000×10 matrices.
type ProcessFixture struct {
	Dir, Store       string
	A, B             string // the matmul's operands as .npy files
	Matmul, Chain    string // circuit files
	MatmulN          int
	MatmulFLOPs      int64
	ChainM, ChainDim int
}

// WriteProcessFixture writes the fixture for n×n matrices into dir.
func WriteProcessFixture(dir string, n int) (*ProcessFixture, error) {
	f := &ProcessFixture{Dir: dir, Store: filepath.Join(dir, "store"), A: filepath.Join(dir, "A.npy"), B: filepath.Join(dir, "B.npy"),
		Matmul: filepath.Join(dir, "matmul.circ"), Chain: filepath.Join(dir, "chain.circ"), MatmulN: n, MatmulFLOPs: 2 * int64(n) * int64(n) * int64(n), ChainM: 10, ChainDim: 1000}
	if err := os.MkdirAll(f.Store, 0o755); err != nil {
		return nil, err
	}
	st, err := weights.OpenStore(f.Store)
	if err != nil {
		return nil, err
	}
	// stored draws a tensor, adds it to the store and returns its hash.
	stored := func(seed uint64, path string, shape ...int) (string, error) {
		t, err := tensor.RandN(tensor.Float32, shape, seed)
		if err != nil {
			return "", err
		}
		if path != "" {
			if err := weights.SaveNpy(path, t); err != nil {
				return "", err
			}
		}
		return st.Add(t)
	}
	ha, err := stored(1, f.A, n, n)
	if err != nil {
		return nil, err
	}
	hb, err := stored(2, f.B, n, n)
	if err != nil {
		return nil, err
	}
	mm := fmt.Sprintf("0 'total' Einsum ab->\n  1 'prod' Einsum ab,bc->ac\n    2 'A' [%d,%d] Array %s\n    3 'B' [%d,%d] Array %s\n", n, n, ha, n, n, hb)
	if err := os.WriteFile(f.Matmul, []byte(mm), 0o644); err != nil {
		return nil, err
	}
	m, d := f.ChainM, f.ChainDim
	shapes := [][2]int{{m, d}, {d, m}, {m, d}, {d, m}}
	chain := "0 'chain' Einsum ab,bc,cd,de->ae\n"
	for i, s := range shapes {
		h, err := stored(uint64(10+i), "", s[0], s[1])
		if err != nil {
			return nil, err
		}
		chain += fmt.Sprintf("  %d 'm%d' [%d,%d] Array %s\n", i+1, i, s[0], s[1], h)
	}
	if err := os.WriteFile(f.Chain, []byte(chain), 0o644); err != nil {
		return nil, err
	}
	return f, nil
}
