package transformer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// ImportGPT2 converts the file's own buffer in place; FromStateDict copies
// and leaves its argument alone. Both give the same weights, and the
// cached content hashes are the weights' own.
func TestImportInPlaceMatchesCopy(t *testing.T) {
	path := filepath.Join(testdata, "tiny.safetensors")
	got := loadTiny(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := weights.DecodeSafetensors(raw)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	for k, v := range sd {
		before[k] = tensor.ContentHashHex(v)
	}
	want, err := FromStateDict(sd, got.Config.Heads, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sd {
		if tensor.ContentHashHex(v) != before[k] {
			t.Errorf("FromStateDict changed its argument's %q", k)
		}
	}
	hashes := got.ContentHashes()
	for n, w := range want.Weights {
		g := got.Weights[n]
		if g == nil {
			t.Fatalf("weight %q missing", n)
		}
		if abs, _, err := tensor.Compare(g, w); err != nil || abs != 0 {
			t.Errorf("weight %q: in place differs from copy by %g (%v)", n, abs, err)
		}
		if hashes[n] != tensor.ContentHashHex(g) {
			t.Errorf("weight %q: cached hash %s is not its content hash", n, hashes[n])
		}
	}
	l, err := got.Loaded()
	if err != nil {
		t.Fatal(err)
	}
	if l.Model.Hash() != want.mustLoaded(t).Model.Hash() {
		t.Errorf("the module circuits of equal weights differ")
	}
}

func (m *Model) mustLoaded(t *testing.T) *Loaded {
	t.Helper()
	l, err := m.Loaded()
	if err != nil {
		t.Fatal(err)
	}
	return l
}
