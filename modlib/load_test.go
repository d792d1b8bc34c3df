package modlib

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
)

const rcDir = "../../shared/rc"

func loadRC(t *testing.T, name string) (TransformerInfo, []circuit.Circuit) {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(rcDir, name))
	if err != nil {
		t.Skipf("rust_circuit model files absent (%v): needs ../shared/rc next to the repo", err)
	}
	info, cs, err := LoadModelString(string(text), circuit.ParseOptions{File: name, RandomTensors: true})
	if err != nil {
		t.Fatal(err)
	}
	return info, cs
}

func TestLoadSmallModels(t *testing.T) {
	for _, tc := range []struct {
		file  string
		shape string
	}{
		{"attention_only_2.circ", "[1s,50259]"},
		{"jun9_paren_balancer.circ", "[1s,2]"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, cs := loadRC(t, tc.file)
			if len(cs) == 0 {
				t.Fatal("no circuits")
			}
			var bind circuit.Circuit
			for _, c := range cs {
				if c.Name() == "t.bind_w" {
					bind = c
				}
			}
			if bind == nil {
				t.Fatal("no t.bind_w")
			}
			if got := circuit.FormatShape(bind.Shape(), nil); got != tc.shape {
				t.Errorf("t.bind_w shape %s, want %s", got, tc.shape)
			}
		})
	}
}

func TestUnknownBlockType(t *testing.T) {
	text := `# info:{"params": {"block_params": {"norm_type": "ln", "mlp_act_type": "swish"}, "num_layers": 1}}` + "\n'x' [1] Scalar 1\n"
	_, _, err := LoadModelString(text, circuit.ParseOptions{File: "m.circ"})
	if err == nil || !strings.HasPrefix(err.Error(), "m.circ:1: ") || !strings.Contains(err.Error(), "swish") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v", err)
	}
}
