package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/circopt/circopt/weights"
)

// TestMain points the default tensor store at a temporary directory, so no
// test writes into the user's real cache.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "circopt-tensors-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv(weights.StoreEnv, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
