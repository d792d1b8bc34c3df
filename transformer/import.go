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

// transposed stores the columns c0..c0+n of w, a [rows, cols] tensor, as
// rows of name: out[j][i] = w[i][c0+j], with shape (a view of [n, rows]).
// Conv1D weights are [in, out] and rust_circuit's are [out, in], so every
// matrix the import converts is such a transpose.
func (c *converter) transposed(name string, w *tensor.Tensor, c0, n int, shape ...int) {
	if c.err != nil {
		return
	}
	rows, cols := w.Dim(0), w.Dim(1)
	var t *tensor.Tensor
	var err error
	if d := w.Float32Data(); d != nil {
		t, err = tensor.FromFloat32(shape, transposeBlock(d, rows, cols, c0, n))
	} else {
		t, err = tensor.FromFloat64(shape, transposeBlock(w.Cast(tensor.Float64).Float64Data(), rows, cols, c0, n))
	}
	if err != nil {
		c.err = fmt.Errorf("weight %q: %w", name, err)
		return
	}
	c.out[name] = t
}

// headsTransposed stores w [heads·hd, d] as [heads, d, hd]: each head's
// block of rows transposed.
func (c *converter) headsTransposed(name string, w *tensor.Tensor, heads int) {
	if c.err != nil {
		return
	}
	rows, cols := w.Dim(0), w.Dim(1)
	hd := rows / heads
	var t *tensor.Tensor
	var err error
	if d := w.Float32Data(); d != nil {
		t, err = tensor.FromFloat32([]int{heads, cols, hd}, perHead(d, heads, hd, cols))
	} else {
		t, err = tensor.FromFloat64([]int{heads, cols, hd}, perHead(w.Cast(tensor.Float64).Float64Data(), heads, hd, cols))
	}
	if err != nil {
		c.err = fmt.Errorf("weight %q: %w", name, err)
		return
	}
	c.out[name] = t
}

func perHead[T float32 | float64](src []T, heads, hd, cols int) []T {
	out := make([]T, 0, len(src))
	for h := range heads {
		out = append(out, transposeBlock(src[h*hd*cols:(h+1)*hd*cols], hd, cols, 0, cols)...)
	}
	return out
}

// transposeBlock is columns c0..c0+n of the row-major [rows, cols] src,
// transposed to a row-major [n, rows], copied in cache-sized tiles.
func transposeBlock[T float32 | float64](src []T, rows, cols, c0, n int) []T {
	const tile = 32
	out := make([]T, n*rows)
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < n; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				row := src[i*cols+c0 : i*cols+c0+n]
				for j := j0; j < min(j0+tile, n); j++ {
					out[j*rows+i] = row[j]
				}
			}
		}
	}
	return out
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
			c.transposed(a+"w."+n, w, i*d, d, h, hd, d)
		}
	}
	if b := c.fetch(p+"attn.c_attn.bias", 3*d); b != nil {
		for i, n := range []string{"q", "k", "v"} {
			part, err := b.Slice(0, i*d, (i+1)*d)
			if err == nil {
				part, err = part.Contiguous().Reshape([]int{h, hd})
			}
			if err != nil {
				c.err = fmt.Errorf("weight %q: %w", a+"w."+n+"_bias", err)
				return
			}
			c.out[a+"w."+n+"_bias"] = part.Contiguous()
		}
	}
	// c_proj's input rows are head-major: head i is rows i·hd..(i+1)·hd,
	// so the [d, hd] block of head i is the transpose of those rows
	if w := c.fetch(p+"attn.c_proj.weight", d, d); w != nil {
		c.headsTransposed(a+"w.o", w, h)
	}
	c.plain(a+"w.o_bias", p+"attn.c_proj.bias", d)
	c.plain(m+"ln.w.scale", p+"ln_2.weight", d)
	c.plain(m+"ln.w.bias", p+"ln_2.bias", d)
	if w := c.fetch(p+"mlp.c_fc.weight", d, 4*d); w != nil {
		c.transposed(m+"w.proj_in", w, 0, 4*d, 4*d, d)
	}
	c.plain(m+"w.in_bias", p+"mlp.c_fc.bias", 4*d)
	if w := c.fetch(p+"mlp.c_proj.weight", 4*d, d); w != nil {
		c.transposed(m+"w.proj_out", w, 0, d, d, 4*d)
	}
	c.plain(m+"w.out_bias", p+"mlp.c_proj.bias", d)
}
