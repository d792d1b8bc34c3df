package modlib

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// weightsOf reads a loaded model file's tensors back by weight name.
func weightsOf(t *testing.T, cs []circuit.Circuit) map[string]*tensor.Tensor {
	t.Helper()
	out := map[string]*tensor.Tensor{}
	for _, c := range cs {
		switch c := c.(type) {
		case *circuit.Array:
			out[c.Name()] = c.Value
		case *circuit.Module:
			for i, a := range c.Children()[1:] {
				out[c.ArgSpecs[i].Symbol.Name()] = a.(*circuit.Array).Value
			}
		}
	}
	return out
}

var hashRE = regexp.MustCompile(`Array [0-9a-f]{24}`)

// TestDumpMatchesRustCircuitFiles dumps each rust_circuit model file's
// weights and gets the file's own text back, hashes aside.
func TestDumpMatchesRustCircuitFiles(t *testing.T) {
	for _, name := range []string{"attention_only_2.circ", "jun9_paren_balancer.circ", "gelu_12_tied.circ"} {
		t.Run(name, func(t *testing.T) {
			info, cs := loadRC(t, name)
			text, err := DumpModelString(info, weightsOf(t, cs))
			if err != nil {
				t.Fatal(err)
			}
			orig, err := os.ReadFile(filepath.Join(rcDir(), name))
			if err != nil {
				t.Fatal(err)
			}
			want := string(orig)
			if i := strings.Index(want, "\n\n"); i >= 0 { // the trailing "# originally …" comment
				want = want[:i+1]
			}
			got, want := hashRE.ReplaceAllString(text, "Array H"), hashRE.ReplaceAllString(want, "Array H")
			if got != want {
				gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("line %d:\n got %s\nwant %s", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("got %d lines, want %d", len(gl), len(wl))
			}
			info2, cs2, err := LoadModelString(text, circuit.ParseOptions{Store: resolverOf(weightsOf(t, cs))})
			if err != nil {
				t.Fatal(err)
			}
			h1, _ := infoJSON(info)
			if h2, _ := infoJSON(info2); h2 != h1 {
				t.Errorf("header %s after the round trip, want %s", h2, h1)
			}
			if !circuit.Equal(cs2[len(cs2)-1], cs[len(cs)-1]) {
				t.Error("the dumped model is not the loaded one")
			}
		})
	}
}

func TestDumpBadWeights(t *testing.T) {
	info, cs := loadRC(t, "jun9_paren_balancer.circ")
	for _, tc := range []struct {
		name string
		edit func(w map[string]*tensor.Tensor)
		want string
	}{
		{"missing", func(w map[string]*tensor.Tensor) { delete(w, "a1.w.q") }, `"a1.w.q" is missing`},
		{"extra", func(w map[string]*tensor.Tensor) { w["a9.w.q"] = w["a1.w.q"] }, `"a9.w.q" is not a weight`},
		{"rank", func(w map[string]*tensor.Tensor) { w["a1.w.q"] = w["a1.ln.w.bias"] }, `"a1.w.q" has shape [56]`},
		{"hidden size", func(w map[string]*tensor.Tensor) {
			x, _ := tensor.RandN(tensor.Float32, []int{57}, 1)
			w["m2.w.out_bias"] = x
		}, "do not fit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := weightsOf(t, cs)
			tc.edit(w)
			_, err := DumpModelString(info, w)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func resolverOf(w map[string]*tensor.Tensor) mapResolver {
	hashes := map[string]string{}
	for n, t := range w {
		hashes[n] = tensor.ContentHashHex(t)
	}
	return newMapResolver(w, hashes)
}
