package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/weights"
)

func TestPlotsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-models", "d", "-circuit", "-plots", "p"},
		{"-models", "d", "-plot", "p.svg"},
		{"-plots", "p", "-plot-format", "pdf"},
		{"-models", "d", "-plots"},
	} {
		if status, _, stderr := runCmd(args...); status != 2 {
			t.Errorf("%q: status %d, want 2 (stderr %q)", args, status, stderr)
		}
	}
}

// -plots DIR writes the six PNG files (beside the table on stdout) at the
// sizes remix documents; a DIR that cannot be created is one error line.
func TestPlotsFlag(t *testing.T) {
	needModels(t)
	if _, err := weights.MNISTDir(); err != nil {
		t.Skip("MNIST not present: " + err.Error())
	}
	dir := filepath.Join(t.TempDir(), "figs")
	status, stdout, stderr := runCmd("-models", modelDir, "-only", "baseline,zero_first", "-plots", dir)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	if !strings.Contains(stdout, "zero_first") || strings.Count(stdout, "\n") != 5 {
		t.Errorf("table on stdout:\n%s", stdout)
	}
	for _, f := range []struct {
		name string
		w, h int
	}{
		{"confusion_A.png", confusionWidth, confusionHeight},
		{"confusion_B.png", confusionWidth, confusionHeight},
		{"last_weights_A.png", weightsWidth, weightsHeight},
		{"last_weights_B.png", weightsWidth, weightsHeight},
		{"accuracy.png", accuracyWidth, accuracyHeight},
		{"loss.png", accuracyWidth, accuracyHeight},
	} {
		r, err := os.Open(filepath.Join(dir, f.name))
		if err != nil {
			t.Error(err)
			continue
		}
		img, err := png.Decode(r)
		r.Close()
		if err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != f.w || b.Dy() != f.h {
			t.Errorf("%s is %dx%d, want %dx%d", f.name, b.Dx(), b.Dy(), f.w, f.h)
		}
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	status, stdout, stderr = runCmd("-models", modelDir, "-only", "zero_first", "-plots", file)
	if status != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, file) {
		t.Errorf("-plots onto a file: status %d, stdout %q, stderr %q", status, stdout, stderr)
	}
}
