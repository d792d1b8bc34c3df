package transformer

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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
	m, err := fromStateDict(sd, heads, eps, true) // sd is ours: convert in place
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
// sd is not modified; the model shares its tensors that need no
// conversion (embeddings, biases, layer norms).
func FromStateDict(sd map[string]*tensor.Tensor, heads int, eps float64) (*Model, error) {
	return fromStateDict(sd, heads, eps, false)
}

// fromStateDict is FromStateDict; with inPlace (the caller owns sd and
// drops it, and no two of its tensors share storage, as weights.Load
// guarantees) each Conv1D matrix is transposed into its own storage
// instead of new memory: importing GPT-2 small then allocates nothing
// beyond the file's one buffer.
func fromStateDict(sd map[string]*tensor.Tensor, heads int, eps float64, inPlace bool) (*Model, error) {
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
	c := &converter{s: s, cfg: cfg, inPlace: inPlace, out: map[string]*tensor.Tensor{}}
	c.plain("t.w.tok_embeds", "wte.weight", cfg.Vocab, cfg.Hidden)
	c.plain("t.w.pos_embeds", "wpe.weight", cfg.Ctx, cfg.Hidden)
	c.out["t.w.unembed"] = c.out["t.w.tok_embeds"] // tied
	c.plain("final.ln.w.scale", "ln_f.weight", cfg.Hidden)
	c.plain("final.ln.w.bias", "ln_f.bias", cfg.Hidden)
	if c.err != nil {
		return nil, c.err
	}
	// Layers touch disjoint tensors, so they convert in parallel, each
	// worker with its own converter (scratch and output map).
	layers := make([]*converter, cfg.Layers)
	parallelFor(cfg.Layers, func(next func() (int, bool)) {
		w := &converter{s: s, cfg: cfg, inPlace: inPlace}
		for l, ok := next(); ok; l, ok = next() {
			w.out, w.err = map[string]*tensor.Tensor{}, nil
			w.layer(l)
			layers[l] = &converter{out: w.out, err: w.err}
		}
	})
	for _, lc := range layers { // the first error in layer order, as a serial loop gives
		if lc.err != nil {
			return nil, lc.err
		}
		maps.Copy(c.out, lc.out)
	}
	return NewModel(cfg, c.out)
}

// converter copies state dict tensors into the rust_circuit layout,
// keeping the first error.
type converter struct {
	s       stateDict
	cfg     Config
	inPlace bool
	out     map[string]*tensor.Tensor
	err     error
	// scratch holds a matrix's original values while it is rewritten in place
	scratch32 []float32
	scratch64 []float64
}

func (c *converter) fetch(key string, shape ...int) *tensor.Tensor {
	if c.err != nil {
		return nil
	}
	t, err := c.s.get(key, shape...)
	c.err = err
	return t
}

// part is one output of a converted matrix: its name and shape.
type part struct {
	name  string
	shape []int
}

// transposed stores w, a [rows, cols] matrix, as parts: part i is the
// next n_i columns of w transposed (n_i = size of part i / rows), so
// out[j][r] = w[r][c0+j]. Conv1D weights are [in, out] and
// rust_circuit's are [out, in], so every matrix the import converts is
// such a transpose.
func (c *converter) transposed(w *tensor.Tensor, parts ...part) {
	if c.err != nil {
		return
	}
	rows, cols := w.Dim(0), w.Dim(1)
	if d := w.Float32Data(); d != nil {
		src, dst := c.buffers32(d)
		store(c, parts, splitTransposed(src, dst, rows, cols, c.widths(parts, rows)))
	} else {
		src, dst := c.buffers64(w.Cast(tensor.Float64).Float64Data())
		store(c, parts, splitTransposed(src, dst, rows, cols, c.widths(parts, rows)))
	}
}

// widths are the column counts of parts of a matrix with rows rows.
func (c *converter) widths(parts []part, rows int) []int {
	ns := make([]int, len(parts))
	for i, p := range parts {
		n := 1
		for _, x := range p.shape {
			n *= x
		}
		ns[i] = n / rows
	}
	return ns
}

// headsTransposed stores w [heads·hd, d] as [heads, d, hd]: each head's
// block of rows transposed.
func (c *converter) headsTransposed(name string, w *tensor.Tensor, heads int) {
	if c.err != nil {
		return
	}
	rows, cols := w.Dim(0), w.Dim(1)
	hd := rows / heads
	ps := []part{{name, []int{heads, cols, hd}}}
	if d := w.Float32Data(); d != nil {
		src, dst := c.buffers32(d)
		perHead(src, dst, heads, hd, cols)
		store(c, ps, [][]float32{dst})
	} else {
		src, dst := c.buffers64(w.Cast(tensor.Float64).Float64Data())
		perHead(src, dst, heads, hd, cols)
		store(c, ps, [][]float64{dst})
	}
}

// buffers32 are where a conversion of d reads and writes: in place, a
// scratch copy of d and d itself; otherwise d and new memory.
func (c *converter) buffers32(d []float32) (src, dst []float32) {
	if !c.inPlace {
		return d, make([]float32, len(d))
	}
	c.scratch32 = append(c.scratch32[:0], d...)
	return c.scratch32, d
}

func (c *converter) buffers64(d []float64) (src, dst []float64) {
	if !c.inPlace {
		return d, make([]float64, len(d))
	}
	c.scratch64 = append(c.scratch64[:0], d...)
	return c.scratch64, d
}

// store wraps converted data as the tensors of parts.
func store[T float32 | float64](c *converter, parts []part, data [][]T) {
	for i, p := range parts {
		var t *tensor.Tensor
		var err error
		switch d := any(data[i]).(type) {
		case []float32:
			t, err = tensor.FromFloat32(p.shape, d)
		case []float64:
			t, err = tensor.FromFloat64(p.shape, d)
		}
		if err != nil {
			c.err = fmt.Errorf("weight %q: %w", p.name, err)
			return
		}
		c.out[p.name] = t
	}
}

// splitTransposed writes into consecutive windows of dst, one per width
// in ns, the next ns[i] columns of the row-major [rows, cols] src
// transposed, and returns the windows (capacity capped, so they are
// independent tensors).
func splitTransposed[T float32 | float64](src, dst []T, rows, cols int, ns []int) [][]T {
	out := make([][]T, len(ns))
	off, c0 := 0, 0
	for i, n := range ns {
		w := dst[off : off+n*rows : off+n*rows]
		transposeBlock(w, src, rows, cols, c0, n)
		out[i] = w
		off, c0 = off+n*rows, c0+n
	}
	return out
}

// perHead writes the [heads·hd, cols] src as [heads, cols, hd] into dst.
func perHead[T float32 | float64](src, dst []T, heads, hd, cols int) {
	for h := range heads {
		transposeBlock(dst[h*hd*cols:(h+1)*hd*cols], src[h*hd*cols:(h+1)*hd*cols], hd, cols, 0, cols)
	}
}

// transposeBlock writes columns c0..c0+n of the row-major [rows, cols]
// src, transposed, into the row-major [n, rows] dst, in cache-sized tiles.
func transposeBlock[T float32 | float64](dst, src []T, rows, cols, c0, n int) {
	const tile = 32
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < n; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				row := src[i*cols+c0+j0 : i*cols+c0+min(j0+tile, n)]
				for j, v := range row {
					dst[(j0+j)*rows+i] = v
				}
			}
		}
	}
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
		c.transposed(w, part{a + "w.q", []int{h, hd, d}}, part{a + "w.k", []int{h, hd, d}}, part{a + "w.v", []int{h, hd, d}})
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
		c.transposed(w, part{m + "w.proj_in", []int{4 * d, d}})
	}
	c.plain(m+"w.in_bias", p+"mlp.c_fc.bias", 4*d)
	if w := c.fetch(p+"mlp.c_proj.weight", 4*d, d); w != nil {
		c.transposed(w, part{m + "w.proj_out", []int{d, 4 * d}})
	}
	c.plain(m+"w.out_bias", p+"mlp.c_proj.bias", d)
}
