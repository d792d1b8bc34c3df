package vec32

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestAsmUpToDate: vec32_amd64.s is what gen_vec32.go writes, so an edit
// to one without the other is caught.
func TestAsmUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	out := filepath.Join(t.TempDir(), "vec32.s")
	if msg, err := exec.Command(goTool, "run", "gen_vec32.go", out).CombinedOutput(); err != nil {
		t.Fatalf("gen_vec32.go: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("vec32_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("vec32_amd64.s is stale: run go generate ./internal/vec32")
	}
}
