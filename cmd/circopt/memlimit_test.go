package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestUlimitPassedCheckDoesNotDie runs the built binary under ulimit -d:
// an input that passes the memory check evaluates (no out-of-memory
// death), and one over the limit is refused with a one-line error.
func TestUlimitPassedCheckDoesNotDie(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "circopt")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Skipf("cannot build the binary: %v\n%s", err, out)
	}
	const ulimitKB = 900000 // ~880 MiB of writable memory (ulimit -d: unlike -v, it does not count the Go runtime's address-space reservations, which make -v flaky)
	under := func(args ...string) (string, string, int) {
		cmd := exec.Command(sh, "-c", "ulimit -d "+itoa(ulimitKB)+" && exec \"$0\" \"$@\"", bin)
		cmd.Args = append(cmd.Args, args...)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	if _, stderr, code := under("version"); code != 0 {
		t.Skipf("the Go runtime does not start under ulimit -d %d here: %s", ulimitKB, firstLine(stderr))
	}
	mm := func(n int) string {
		return writeFile(t, dir, "mm"+itoa(n)+".circ", "0 'p' Einsum ab,bc->ac\n  1 ["+itoa(n)+","+itoa(n)+"] Array rand\n  2 ["+itoa(n)+","+itoa(n)+"] Array rand\n")
	}
	for _, naive := range []bool{false, true} {
		args := []string{"eval", "-format", "json"}
		if naive {
			args = append(args, "-naive")
		}
		// Passes the check (the compiled one at about half the limit),
		// and must not die.
		n := 1400
		if naive {
			n = 512 // the reference kernels are slow
		}
		stdout, stderr, code := under(append(args, mm(n))...)
		if code != 0 || !strings.HasPrefix(stdout, `{"outputs":[{"name":"p","shape":[`+itoa(n)+","+itoa(n)+"]") {
			t.Fatalf("naive=%v: %d² under ulimit: exit %d, stderr %s", naive, n, code, firstLine(stderr))
		}
		// 16M printed values: over the limit, refused before anything runs.
		_, stderr, code = under(append(args, mm(4096))...)
		if code != 1 || !strings.Contains(stderr, "needs about") || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("naive=%v: 4096² under ulimit: exit %d, want a one-line refusal; stderr %s", naive, code, firstLine(stderr))
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func firstLine(s string) string { line, _, _ := strings.Cut(s, "\n"); return line }
