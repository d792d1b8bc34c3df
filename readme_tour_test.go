package circopt_test

import (
	"bufio"
	"encoding/json"
	"github.com/circopt/circopt/blas"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/circopt/circopt/weights"
)

// tourRun is what one README command line did.
type tourRun struct {
	dir         string // the working directory the line ran in
	out, stderr string
}

// tourChecks holds one check per command line of the README's tour, keyed
// by the line without its comment. A tour line without a check, or a check
// whose line left the README, fails TestREADMETour.
var tourChecks = map[string]func(t *testing.T, r tourRun){
	"go build -o circopt ./cmd/circopt": func(t *testing.T, r tourRun) {},
	"./circopt print testdata/examples/two_layer_skip.circ": func(t *testing.T, r tourRun) {
		want(t, r.out, "'last' Add", "'x' [4] Array ")
	},
	"./circopt print testdata/examples/two_layer_skip.circ | ./circopt print -": func(t *testing.T, r tourRun) {
		first := runTour(t, r.dir, "./circopt print testdata/examples/two_layer_skip.circ").out
		if r.out != first {
			t.Errorf("print of print's output differs:\n%s\nwant\n%s", r.out, first)
		}
	},
	"./circopt eval -format json testdata/examples/mlp.circ": func(t *testing.T, r tourRun) {
		var v struct{ Outputs []struct{ Name string } }
		if err := json.Unmarshal([]byte(r.out), &v); err != nil || len(v.Outputs) != 1 || v.Outputs[0].Name != "logits" {
			t.Errorf("eval json %q: %v", r.out, err)
		}
	},
	"./circopt eval -naive -dtype float64 testdata/examples/mlp.circ": func(t *testing.T, r tourRun) {
		want(t, r.out, "'logits' [2] float64\n")
	},
	"./circopt get \"'skip' > 'x'\" testdata/examples/two_layer_skip.circ": func(t *testing.T, r tourRun) {
		if r.out != "3 'x'\n" {
			t.Errorf("get = %q, want \"3 'x'\"", r.out)
		}
	},
	"./circopt patch -at \"'skip' > 'x'\" -with testdata/examples/patch_x.circ testdata/examples/two_layer_skip.circ > patched.circ": func(t *testing.T, r tourRun) {
		b, err := os.ReadFile(filepath.Join(r.dir, "patched.circ"))
		if err != nil || !strings.Contains(string(b), "'x_shuffled' [4] Array ") {
			t.Errorf("patched.circ = %q, %v", b, err)
		}
	},
	"./circopt patch -at \"'skip' > 'x'\" -with testdata/examples/patch_x.circ testdata/examples/two_layer_skip.circ | ./circopt eval -": func(t *testing.T, r tourRun) {
		want(t, r.out, "'last' [2] float32\n")
		if saved := runTour(t, r.dir, "./circopt eval patched.circ").out; r.out != saved {
			t.Errorf("patch | eval - = %q, eval of the saved patch = %q", r.out, saved)
		}
		if plain := runTour(t, r.dir, "./circopt eval testdata/examples/two_layer_skip.circ").out; r.out == plain {
			t.Errorf("patch | eval - gives the unpatched values %q", plain)
		}
	},
	"./circopt eval -o results.npz testdata/examples/two_layer_skip.circ patched.circ": func(t *testing.T, r tourRun) {
		got, err := weights.LoadNpz(filepath.Join(r.dir, "results.npz"))
		if err != nil {
			t.Fatal(err)
		}
		for key, file := range map[string]string{
			"testdata/examples/two_layer_skip.circ:last": "testdata/examples/two_layer_skip.circ",
			"patched.circ:last":                          "patched.circ",
		} {
			v, ok := got[key]
			if !ok {
				t.Errorf("results.npz has no %q (has %d arrays)", key, len(got))
				continue
			}
			var one struct{ Outputs []struct{ Data []float64 } }
			if err := json.Unmarshal([]byte(runTour(t, r.dir, "./circopt eval -format json "+file).out), &one); err != nil || len(one.Outputs) != 1 {
				t.Fatalf("eval %s alone: %v", file, err)
			}
			if g := v.Float64s(); !equalFloats(g, one.Outputs[0].Data) {
				t.Errorf("results.npz %s = %v, eval of %s alone = %v", key, g, file, one.Outputs[0].Data)
			}
		}
	},
	"./circopt rewrite -rule distribute_once -verify testdata/examples/two_layer_skip.circ": func(t *testing.T, r tourRun) {
		want(t, r.stderr, "1 rewrite(s) applied", "verified")
	},
	"./circopt rewrite -list": func(t *testing.T, r tourRun) { want(t, r.out, "distribute_once ") },
	"./circopt simp testdata/golden/addfold_wide.circ": func(t *testing.T, r tourRun) {
		want(t, r.out, "'wide' Add")
		want(t, r.stderr, "fixed point")
	},
	"./circopt opt -dump-after all testdata/golden/einsum_chain4.circ": func(t *testing.T, r tourRun) {
		want(t, r.out, "# after einsum", "# path ", "# unchanged: ")
	},
	"./circopt opt -emit circuit testdata/golden/attention.circ": func(t *testing.T, r tourRun) {
		want(t, r.out, "'attn_out' Add")
	},
	"./circopt verify -bisect -format json testdata/golden/attention.circ": func(t *testing.T, r tourRun) {
		want(t, r.out, `{"ok":true,`)
	},
	"./circopt stats testdata/golden/transformer_block.circ": func(t *testing.T, r tourRun) {
		want(t, r.out, "circuit nodes", "flops", "peak bytes")
	},
	"./circopt passes": func(t *testing.T, r tourRun) { want(t, r.out, "cse ") },
	"./circopt get -paths \"'x'\" testdata/examples/two_layer_skip.circ": func(t *testing.T, r tourRun) {
		want(t, r.out, "0 'last' > 1 '(skip) * w2' > 2 'skip' > 3 'x'\n")
	},
	"./circopt scrub -hypothesis examples/day4a/hypothesis.json -data examples/day4a/data.npz examples/day4a/model.circ": func(t *testing.T, r tourRun) {
		want(t, r.out, "original", "scrubbed")
	},
	"./circopt ui -random-tensors testdata/examples/mlp.circ": nil, // served and fetched by runUI
	"./circopt version": func(t *testing.T, r tourRun) { want(t, r.out, "circopt ") },
	"./circopt tensors add -store store/ testdata/examples/w1.npy testdata/examples/b1.npy": func(t *testing.T, r tourRun) {
		want(t, r.out, "12395a8bc8436dbe", "testdata/examples/w1.npy\n", "7b6f7f78971fa16a", "testdata/examples/b1.npy\n")
	},
	"./circopt eval -tensors store/ -bind x=testdata/examples/x.npy testdata/examples/affine.circ": func(t *testing.T, r tourRun) {
		if r.out != "'y' [2] float32\n[-1.75 3.5]\n" {
			t.Errorf("affine eval = %q", r.out)
		}
	},
	"./circopt tensors ls -store store/": func(t *testing.T, r tourRun) {
		want(t, r.out, "float32 [2,3] testdata/examples/w1.npy", "float32 [2] testdata/examples/b1.npy")
	},
}

// TestREADMETour runs every command line of the README's tour, in order,
// as a user would: in a directory with the repository's testdata and
// examples, through sh, with the circopt binary the first line builds.
func TestREADMETour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	lines := tourLines(t)
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
		if _, ok := tourChecks[l]; !ok {
			t.Errorf("the README tour's line %q has no check in tourChecks", l)
		}
	}
	for l := range tourChecks {
		if !seen[l] {
			t.Errorf("tourChecks checks %q, which the README tour no longer has", l)
		}
	}
	if t.Failed() {
		return
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, d := range []string{"testdata", "examples"} {
		if err := os.Symlink(filepath.Join(root, d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	// the tensor store printing fills is the test's, not the user's
	t.Setenv(weights.StoreEnv, filepath.Join(dir, "tensors"))
	// the tour's binary is built as a user builds it, without backend tags
	t.Setenv(blas.EnvVar, "")
	if lines[0] != "go build -o circopt ./cmd/circopt" {
		t.Fatalf("the tour starts with %q, want the go build line", lines[0])
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "circopt"), "./cmd/circopt")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", lines[0], err, out)
	}
	for _, l := range lines[1:] {
		if tourChecks[l] == nil {
			runUI(t, dir, l)
			continue
		}
		t.Run(l, func(t *testing.T) { tourChecks[l](t, runTour(t, dir, l)) })
	}
}

// tourLines are the command lines of the ```sh blocks under the README's
// "## A tour of the command line", comments cut.
func tourLines(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## A tour of the command line\n")
	if !ok {
		t.Fatal("README.md has no tour section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var lines []string
	inSh := false
	for _, l := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(l, "```sh"):
			inSh = true
		case strings.HasPrefix(l, "```"):
			inSh = false
		case inSh:
			if cmd, _, _ := strings.Cut(l, " # "); strings.TrimSpace(cmd) != "" {
				lines = append(lines, strings.TrimSpace(cmd))
			}
		}
	}
	if len(lines) < 10 {
		t.Fatalf("only %d tour lines found", len(lines))
	}
	return lines
}

// runTour runs one line through sh in dir; it must exit 0.
func runTour(t *testing.T, dir, line string) tourRun {
	t.Helper()
	cmd := exec.Command("sh", "-c", "set -e; "+line)
	cmd.Dir = dir
	var out, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, stderr.String())
	}
	return tourRun{dir: dir, out: out.String(), stderr: stderr.String()}
}

// runUI starts the ui line on a free port (the README's default port may be
// taken), fetches the page it announces and stops it.
func runUI(t *testing.T, dir, line string) {
	t.Helper()
	args := strings.Fields(strings.Replace(line, "./circopt ui ", "./circopt ui -addr 127.0.0.1:0 ", 1))
	cmd := exec.Command(filepath.Join(dir, "circopt"), args[1:]...)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := regexp.MustCompile(`serving (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		close(urls)
	}()
	select {
	case url, ok := <-urls:
		if !ok {
			t.Fatalf("%s: exited without serving", line)
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: GET %s = %d, %d bytes", line, url, resp.StatusCode, len(body))
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s: no serving line within a minute", line)
	}
}

func want(t *testing.T, got string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(got, s) {
			t.Errorf("output lacks %q:\n%s", s, got)
		}
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if float32(a[i]) != float32(b[i]) {
			return false
		}
	}
	return true
}
