package modlib

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// memStore resolves the Arrays of a first parse, so a reprint reads back
// the same tensors rather than redrawing random ones.
type memStore map[string]*tensor.Tensor

func (s memStore) Resolve(prefix string) (*tensor.Tensor, string, error) {
	var found []string
	for h := range s {
		if strings.HasPrefix(h, prefix) {
			found = append(found, h)
		}
	}
	if len(found) != 1 {
		return nil, "", fmt.Errorf("%d tensors match %s: %w", len(found), prefix, circuit.ErrNotStored)
	}
	return s[found[0]], found[0], nil
}

// circFiles lists the .circ files under the repo's testdata directories
// and in ../shared/rc.
func circFiles(t *testing.T) []string {
	var out []string
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "fuzz") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".circ") && strings.Contains(filepath.ToSlash(p), "/testdata/") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := filepath.Glob(filepath.Join(rcDir(), "*.circ"))
	if len(rc) == 0 {
		t.Logf("rust_circuit model files absent: needs ../shared/rc next to the repo; testing testdata only")
	}
	sort.Strings(out)
	return append(out, rc...)
}

// Printing (as rust_circuit does by default, and with serials) then
// printing again is a fixed point on every .circ in testdata and
// ../shared/rc, and reads back to the same circuits; Arrays the files name
// by hash are random draws.
func TestPrintTwiceFixedPoint(t *testing.T) {
	files := circFiles(t)
	if len(files) < 50 {
		t.Fatalf("found only %d .circ files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if strings.HasSuffix(f, "gelu_12_tied.circ") && testing.Short() {
				t.Skip("GPT-2 small; skipped with -short")
			}
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			opts := circuit.ParseOptions{File: f, RandomTensors: true, ModuleAllowUnusedInputs: true}
			var cs []circuit.Circuit
			if IsModelString(string(text)) {
				_, cs, err = LoadModelString(string(text), opts)
			} else {
				cs, err = circuit.ParseCircuits(string(text), opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			store := memStore{}
			circuit.Walk(cs, func(c circuit.Circuit) {
				if a, ok := c.(*circuit.Array); ok {
					store[a.ContentHash] = a.Value
				}
			})
			for _, po := range []circuit.PrintOptions{{Names: true}, {}} {
				p1 := circuit.PrintCircuits(cs, po)
				cs2, err := circuit.ParseCircuits(p1, circuit.ParseOptions{File: "print1", Store: store, ModuleAllowUnusedInputs: true})
				if err != nil {
					t.Fatalf("names=%v: reading the print back: %v", po.Names, err)
				}
				for i := range cs {
					if !circuit.Equal(cs[i], cs2[i]) {
						t.Fatalf("names=%v: circuit %d (%s) changed through print", po.Names, i, circuit.Label(cs[i]))
					}
				}
				if p2 := circuit.PrintCircuits(cs2, po); p2 != p1 {
					t.Fatalf("names=%v: print then print is not a fixed point", po.Names)
				}
			}
		})
	}
}
