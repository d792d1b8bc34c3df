package simd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestKernelsUpToDate: kernels_amd64.s is what gen_kernels.go writes, so
// an edit to one without the other is caught.
func TestKernelsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	out := filepath.Join(t.TempDir(), "kernels.s")
	cmd := exec.Command(goTool, "run", "gen_kernels.go", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_kernels.go: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("kernels_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("kernels_amd64.s is stale: run go generate ./blas/simd")
	}
}
