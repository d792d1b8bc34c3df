package main

import (
	"strings"
	"testing"

	"github.com/circopt/circopt/weights"
)

// With no -models, remix runs on the models shipped in the repo, and they
// give the numbers the original .pt files give.
func TestShippedModelsByDefault(t *testing.T) {
	if _, err := weights.MNISTDir(); err != nil {
		t.Skip("MNIST not present: " + err.Error())
	}
	status, stdout, stderr := runCmd("-only", "baseline", "-q")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	if !strings.Contains(stdout, "baseline    A") || !strings.Contains(stdout, "baseline    B") {
		t.Fatalf("no baseline rows:\n%s", stdout)
	}
	needModels(t)
	status, want, stderr := runCmd("-models", modelDir, "-only", "baseline", "-q")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	if stdout != want {
		t.Errorf("shipped models give\n%s\nthe originals give\n%s", stdout, want)
	}
}
