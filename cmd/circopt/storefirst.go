package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// storeFirst resolves hashes in the -tensors store and reports a hash no
// file there starts with as circuit.ErrNotStored, so that with
// -random-tensors only hashes the store lacks are drawn: a stored tensor
// always wins.
type storeFirst struct{ st *weights.Store }

func (s storeFirst) Resolve(prefix string) (*tensor.Tensor, string, error) {
	if isHex(prefix) {
		m, err := filepath.Glob(filepath.Join(s.st.Dir, prefix+"*.npy"))
		if err == nil && len(m) == 0 {
			if _, err := os.Stat(s.st.Dir); err == nil {
				return nil, "", fmt.Errorf("hash %s: %w %s", prefix, circuit.ErrNotStored, s.st.Dir)
			}
		}
	}
	return s.st.Resolve(prefix)
}

// isHex: only a plain hex prefix is looked up by file name (anything else
// is the store's to refuse).
func isHex(s string) bool { return s != "" && strings.Trim(s, "0123456789abcdef") == "" }
