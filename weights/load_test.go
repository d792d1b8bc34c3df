package weights

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

func TestLoadDispatch(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	npyFile := makeNpy("<f4", false, "(2,)", le([]float32{1, 2}))
	cases := []struct {
		path string
		want []string
	}{
		{write("embed.npy", npyFile), []string{"embed"}},
		{write("arrays.npz", makeZip(t, map[string][]byte{"a.npy": npyFile, "b.npy": npyFile})), []string{"a", "b"}},
		// Content wins over a misleading extension.
		{write("actually_npz.bin", makeZip(t, map[string][]byte{"a.npy": npyFile})), []string{"a"}},
		{write("model.pt", syntheticTorch(t)), []string{"bc", "d", "e", "h", "idx", "w", "w.t"}},
		{write("model.pth", syntheticTorch(t)), []string{"bc", "d", "e", "h", "idx", "w", "w.t"}},
		{write("noext", sampleSafetensors()), []string{"b", "bf", "h", "i", "s", "u", "w", "z"}},
	}
	for _, c := range cases {
		m, err := Load(c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		got := keys(m)
		if strings.Join(sorted(got), ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: keys %v, want %v", c.path, sorted(got), c.want)
		}
	}
	m, _ := Load(filepath.Join(dir, "embed.npy"))
	checkTensor(t, m["embed"], tensor.Float32, []int{2}, []float64{1, 2})

	for name, data := range map[string][]byte{
		"legacy.pt":     []byte("\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."),
		"random.dat":    []byte("hello world"),
		"short.npy":     npyFile[:20],
		"x.safetensors": []byte("\x02\x00\x00\x00\x00\x00\x00\x00{"),
	} {
		p := write(name, data)
		if _, err := Load(p); err == nil || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("%s: error %v does not start with the path", name, err)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
