package main

import (
	"fmt"
	"io"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/weights"
)

// storeDir is the tensor store a command resolves Arrays in and prints
// into: -tensors DIR (explicit), else weights.DefaultStoreDir.
func (f *inputFlags) storeDir() (dir string, explicit bool, err error) {
	if f.tensorsDir != "" {
		return f.tensorsDir, true, nil
	}
	d, err := weights.DefaultStoreDir()
	return d, false, err
}

// defaultStore sets an empty -store to the default tensor store.
func defaultStore(dir *string) error {
	if *dir != "" {
		return nil
	}
	d, err := weights.DefaultStoreDir()
	if err != nil {
		return err
	}
	*dir = d
	return nil
}

// resolver is the parser's tensor store. An explicit -tensors DIR must be
// a readable directory; the default store may not exist yet, and then (or
// when no cache directory is known) nothing resolves: Arrays stay
// unresolved or, with -random-tensors, are drawn.
func (f *inputFlags) resolver() (circuit.TensorResolver, error) {
	dir, explicit, err := f.storeDir()
	if !explicit {
		if err != nil {
			return nil, nil
		}
		st, err := weights.OpenStore(dir)
		if err != nil {
			return nil, nil
		}
		return storeFirst{st}, nil
	}
	if err := checkReadable(dir, true); err != nil {
		return nil, fmt.Errorf("%s: tensor store: %w", dir, err)
	}
	st, err := weights.OpenStore(dir)
	if err != nil {
		return nil, fileErr(dir, err)
	}
	return storeFirst{st}, nil
}

// saveArrays stores every loaded tensor under cs that the store lacks, so
// the `Array <hash>` lines printed for them (rand draws included) resolve
// when the text is read again. A store that cannot be written (read-only,
// full disk) is one warning on stderr: printing never fails for it.
func (f *inputFlags) saveArrays(cs []circuit.Circuit, stderr io.Writer) {
	var arrays []*circuit.Array
	seen := map[string]bool{}
	circuit.Walk(cs, func(c circuit.Circuit) {
		if a, ok := c.(*circuit.Array); ok && a.Resolved() && !seen[a.ContentHash] {
			seen[a.ContentHash] = true
			arrays = append(arrays, a)
		}
	})
	if len(arrays) == 0 {
		return
	}
	dir, explicit, err := f.storeDir()
	if err != nil {
		fmt.Fprintf(stderr, "circopt: warning: tensors not saved: %v\n", err)
		return
	}
	var st *weights.Store
	if explicit {
		st, err = weights.OpenStore(dir)
	} else {
		st, err = weights.OpenOrCreateStore(dir)
	}
	for _, a := range arrays {
		if err != nil {
			break
		}
		if !st.Has(a.ContentHash) {
			err = st.AddHashed(a.Value, a.ContentHash)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "circopt: warning: tensors not saved in %s: %v\n", dir, underlying(err))
	}
}

// printCircuits saves the tensors of cs, then prints them: saving first
// means a reader at the other end of a pipe finds them once the text ends.
func (f *inputFlags) printCircuits(stdout, stderr io.Writer, cs []circuit.Circuit, opts circuit.PrintOptions) error {
	f.saveArrays(cs, stderr)
	_, err := fmt.Fprint(stdout, circuit.PrintCircuits(cs, opts))
	return err
}
