package simd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestKernelsUpToDate: kernels_amd64.s and kernels_rows_amd64.go are what
// gen_kernels.go writes, so an edit to one without the other is caught.
func TestKernelsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	dir := t.TempDir()
	asm, decl := filepath.Join(dir, "kernels.s"), filepath.Join(dir, "rows.go")
	cmd := exec.Command(goTool, "run", "gen_kernels.go", asm, decl)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_kernels.go: %v\n%s", err, msg)
	}
	for gen, file := range map[string]string{asm: "kernels_amd64.s", decl: "kernels_rows_amd64.go"} {
		want, err := os.ReadFile(gen)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./blas/simd", file)
		}
	}
}
