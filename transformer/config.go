package transformer

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// Config is the shape of a GPT-2 model.
type Config struct {
	Layers, Hidden, Heads, Vocab, Ctx int
	// LNEps is the layer norm epsilon (GPT-2: 1e-5).
	LNEps float64
}

// HeadDim is the size of one head.
func (c Config) HeadDim() int { return c.Hidden / c.Heads }

// check refuses sizes that cannot describe a model.
func (c Config) check() error {
	switch {
	case c.Layers < 1 || c.Hidden < 1 || c.Vocab < 1 || c.Ctx < 1:
		return fmt.Errorf("model sizes must be positive: %d layers, hidden %d, vocabulary %d, %d positions", c.Layers, c.Hidden, c.Vocab, c.Ctx)
	case c.Heads < 1:
		return fmt.Errorf("head count %d must be positive", c.Heads)
	case c.Hidden%c.Heads != 0:
		return fmt.Errorf("head count %d does not divide the hidden size %d", c.Heads, c.Hidden)
	}
	return nil
}

// Shapes lists every weight of the model under its rust_circuit name.
func (c Config) Shapes() map[string][]int {
	d, h, hd := c.Hidden, c.Heads, c.HeadDim()
	s := map[string][]int{
		"t.w.tok_embeds":   {c.Vocab, d},
		"t.w.pos_embeds":   {c.Ctx, d},
		"t.w.unembed":      {c.Vocab, d},
		"final.ln.w.scale": {d},
		"final.ln.w.bias":  {d},
	}
	for l := 0; l < c.Layers; l++ {
		a, m := fmt.Sprintf("a%d.", l), fmt.Sprintf("m%d.", l)
		s[a+"ln.w.scale"], s[a+"ln.w.bias"] = []int{d}, []int{d}
		s[a+"w.q"], s[a+"w.k"], s[a+"w.v"] = []int{h, hd, d}, []int{h, hd, d}, []int{h, hd, d}
		s[a+"w.o"] = []int{h, d, hd}
		s[a+"w.q_bias"], s[a+"w.k_bias"], s[a+"w.v_bias"] = []int{h, hd}, []int{h, hd}, []int{h, hd}
		s[a+"w.o_bias"] = []int{d}
		s[m+"ln.w.scale"], s[m+"ln.w.bias"] = []int{d}, []int{d}
		s[m+"w.proj_in"], s[m+"w.in_bias"] = []int{4 * d, d}, []int{4 * d}
		s[m+"w.proj_out"], s[m+"w.out_bias"] = []int{d, 4 * d}, []int{d}
	}
	return s
}

// Model is a configuration with its weights in rust_circuit's layout.
type Model struct {
	Config  Config
	Weights map[string]*tensor.Tensor
	modelCache
}

// NewModel checks that weights hold exactly the tensors cfg needs, each of
// the right shape and a float dtype.
func NewModel(cfg Config, weights map[string]*tensor.Tensor) (*Model, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	want := cfg.Shapes()
	for _, n := range sortedNames(want) {
		t, ok := weights[n]
		if !ok {
			return nil, fmt.Errorf("weight %q is missing", n)
		}
		if !slices.Equal(t.Shape(), want[n]) {
			return nil, fmt.Errorf("weight %q has shape %v, want %v", n, t.Shape(), want[n])
		}
		if dt := t.DType(); dt != tensor.Float32 && dt != tensor.Float64 {
			return nil, fmt.Errorf("weight %q has dtype %v, want a float", n, dt)
		}
	}
	return &Model{Config: cfg, Weights: weights}, nil
}

// ParseInfoHeader reads the layer norm epsilon from a "# info:" line of src
// (1e-5 when there is none), the one size weights cannot tell.
func ParseInfoHeader(src string) (eps float64, err error) {
	eps = 1e-5
	for i, line := range strings.Split(src, "\n") {
		rest, ok := strings.CutPrefix(line, "# info:")
		if !ok {
			continue
		}
		var info struct {
			Extra map[string]json.RawMessage `json:"extra"`
		}
		if err := json.Unmarshal([]byte(rest), &info); err != nil {
			return 0, fmt.Errorf("line %d: bad # info: header: %w", i+1, err)
		}
		if raw, ok := info.Extra["ln_eps"]; ok {
			v, err := strconv.ParseFloat(string(raw), 64)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("line %d: # info: ln_eps %s is not a positive number", i+1, raw)
			}
			eps = v
		}
		break
	}
	return eps, nil
}

// sortedNames lists a map's keys in order, so errors and draws are stable.
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
