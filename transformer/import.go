package transformer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// ImportOptions configures ImportGPT2.
type ImportOptions struct {
	// Heads is the head count; 0 reads n_head from config.json beside the file.
	Heads int
}

// ImportGPT2 reads a Hugging Face GPT-2 state dict (.safetensors or .pt,
// keys with or without the "transformer." prefix, Conv1D weights stored
// [in, out], unembedding tied to wte) into rust_circuit's layout.
func ImportGPT2(path string, opts ImportOptions) (*Model, error) {
	sd, err := weights.Load(path)
	if err != nil {
		return nil, err
	}
	heads, eps := opts.Heads, 1e-5
	if hc, e, err := readHFConfig(filepath.Join(filepath.Dir(path), "config.json")); err != nil {
		return nil, err
	} else {
		if heads == 0 {
			heads = hc
		}
		if e > 0 {
			eps = e
		}
	}
	if eps != 1e-5 {
		return nil, fmt.Errorf("%s: layer_norm_epsilon %g in config.json: the module library's layer norm uses 1e-5", path, eps)
	}
	if heads == 0 {
		return nil, fmt.Errorf("%s: no head count: give -heads or put config.json (n_head) beside the file", path)
	}
	m, err := FromStateDict(sd, heads, eps)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// readHFConfig reads n_head and layer_norm_epsilon from a Hugging Face
// config.json; a missing file gives zeros.
func readHFConfig(path string) (heads int, eps float64, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var c struct {
		NHead int     `json:"n_head"`
		Eps   float64 `json:"layer_norm_epsilon"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	return c.NHead, c.Eps, nil
}

// stateDict looks tensors up by Hugging Face key, with or without prefix.
type stateDict struct {
	sd     map[string]*tensor.Tensor
	prefix string
}

func (s stateDict) get(key string, shape ...int) (*tensor.Tensor, error) {
	t, ok := s.sd[s.prefix+key]
	if !ok {
		return nil, fmt.Errorf("state dict has no tensor %q", s.prefix+key)
	}
	if !slices.Equal(t.Shape(), shape) {
		return nil, fmt.Errorf("tensor %q has shape %v, want %v", s.prefix+key, t.Shape(), shape)
	}
	if dt := t.DType(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("tensor %q has dtype %v, want a float", s.prefix+key, dt)
	}
	return t.Contiguous(), nil
}

// FromStateDict converts a GPT-2 state dict with the given head count.
func FromStateDict(sd map[string]*tensor.Tensor, heads int, eps float64) (*Model, error) {
	s := stateDict{sd: sd}
	if _, ok := sd["transformer.wte.weight"]; ok {
		s.prefix = "transformer."
	}
	wte, ok := sd[s.prefix+"wte.weight"]
	if !ok || wte.Rank() != 2 {
		return nil, fmt.Errorf("state dict has no 2-D tensor %q (the token embedding)", s.prefix+"wte.weight")
	}
	wpe, ok := sd[s.prefix+"wpe.weight"]
	if !ok || wpe.Rank() != 2 {
		return nil, fmt.Errorf("state dict has no 2-D tensor %q (the positional embedding)", s.prefix+"wpe.weight")
	}
	cfg := Config{Hidden: wte.Dim(1), Heads: heads, Vocab: wte.Dim(0), Ctx: wpe.Dim(0), LNEps: eps}
	for {
		if _, ok := sd[fmt.Sprintf("%sh.%d.ln_1.weight", s.prefix, cfg.Layers)]; !ok {
			break
		}
		cfg.Layers++
	}
	if cfg.Layers == 0 {
		return nil, fmt.Errorf("state dict has no tensor %q (no layers)", s.prefix+"h.0.ln_1.weight")
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	c := converter{s: s, cfg: cfg, out: map[string]*tensor.Tensor{}}
	c.plain("t.w.tok_embeds", "wte.weight", cfg.Vocab, cfg.Hidden)
	c.plain("t.w.pos_embeds", "wpe.weight", cfg.Ctx, cfg.Hidden)
	c.out["t.w.unembed"] = c.out["t.w.tok_embeds"] // tied
	c.plain("final.ln.w.scale", "ln_f.weight", cfg.Hidden)
	c.plain("final.ln.w.bias", "ln_f.bias", cfg.Hidden)
	for l := 0; l < cfg.Layers; l++ {
		c.layer(l)
	}
	if c.err != nil {
		return nil, c.err
	}
	return NewModel(cfg, c.out)
}

// converter copies state dict tensors into the rust_circuit layout,
// keeping the first error.
type converter struct {
	s   stateDict
	cfg Config
	out map[string]*tensor.Tensor
	err error
}

func (c *converter) fetch(key string, shape ...int) *tensor.Tensor {
	if c.err != nil {
		return nil
	}
	t, err := c.s.get(key, shape...)
	c.err = err
	return t
}

// put stores t viewed as shape, permuted by perm, as a contiguous tensor.
func (c *converter) put(name string, t *tensor.Tensor, shape, perm []int) {
	if c.err != nil {
		return
	}
	r, err := t.Contiguous().Reshape(shape)
	if err == nil && perm != nil {
		r, err = r.Permute(perm)
	}
	if err != nil {
		c.err = fmt.Errorf("weight %q: %w", name, err)
		return
	}
	c.out[name] = r.Contiguous()
}

func (c *converter) plain(name, key string, shape ...int) {
	if t := c.fetch(key, shape...); t != nil {
		c.out[name] = t
	}
}

func (c *converter) layer(l int) {
	d, h, hd := c.cfg.Hidden, c.cfg.Heads, c.cfg.HeadDim()
	p, a, m := fmt.Sprintf("h.%d.", l), fmt.Sprintf("a%d.", l), fmt.Sprintf("m%d.", l)
	c.plain(a+"ln.w.scale", p+"ln_1.weight", d)
	c.plain(a+"ln.w.bias", p+"ln_1.bias", d)
	// Conv1D: y = x @ W with W [in, out]; out column h*hd+j is head h, dim j.
	if w := c.fetch(p+"attn.c_attn.weight", d, 3*d); w != nil {
		for i, n := range []string{"q", "k", "v"} {
			part, err := w.Slice(1, i*d, (i+1)*d)
			if err != nil {
				c.err = err
				return
			}
			c.put(a+"w."+n, part, []int{d, h, hd}, []int{1, 2, 0})
		}
	}
	if b := c.fetch(p+"attn.c_attn.bias", 3*d); b != nil {
		for i, n := range []string{"q", "k", "v"} {
			part, err := b.Slice(0, i*d, (i+1)*d)
			if err != nil {
				c.err = err
				return
			}
			c.put(a+"w."+n+"_bias", part, []int{h, hd}, nil)
		}
	}
	if w := c.fetch(p+"attn.c_proj.weight", d, d); w != nil {
		c.put(a+"w.o", w, []int{h, hd, d}, []int{0, 2, 1})
	}
	c.plain(a+"w.o_bias", p+"attn.c_proj.bias", d)
	c.plain(m+"ln.w.scale", p+"ln_2.weight", d)
	c.plain(m+"ln.w.bias", p+"ln_2.bias", d)
	if w := c.fetch(p+"mlp.c_fc.weight", d, 4*d); w != nil {
		c.put(m+"w.proj_in", w, []int{d, 4 * d}, []int{1, 0})
	}
	c.plain(m+"w.in_bias", p+"mlp.c_fc.bias", 4*d)
	if w := c.fetch(p+"mlp.c_proj.weight", 4*d, d); w != nil {
		c.put(m+"w.proj_out", w, []int{4 * d, d}, []int{1, 0})
	}
	c.plain(m+"w.out_bias", p+"mlp.c_proj.bias", d)
}
