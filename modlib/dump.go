package modlib

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// dumpHashLen is how many hex digits of a content hash a model file prints,
// as rust_circuit's files do.
const dumpHashLen = 24

// embedWeights are the weights a model file prints as top-level Arrays: the
// library's t.logits starts from the residual stream and does not use them.
var embedWeights = []string{"t.w.tok_embeds", "t.w.pos_embeds"}

// ModelWeightNames lists the weights a model file of p binds, in the order
// rust_circuit's dump_model_string writes them: per layer the attention's
// norm, q/k/v/o and their biases, then the MLP's norm and weights; then the
// final norm and the unembedding. The embeddings are not included.
func ModelWeightNames(p TransformerParams) []string {
	bp := p.BlockParams
	norm := func(prefix string) []string {
		if bp.NormType == nil {
			return nil
		}
		if *bp.NormType == "bn" {
			return []string{prefix + ".bn.mean", prefix + ".bn.var", prefix + ".bn.w.bias", prefix + ".bn.w.scale"}
		}
		return []string{prefix + ".ln.w.bias", prefix + ".ln.w.scale"}
	}
	var out []string
	for i := 0; i < p.NumLayers; i++ {
		a, m := fmt.Sprintf("a%d", i), fmt.Sprintf("m%d", i)
		out = append(out, norm(a)...)
		for _, w := range []string{"q", "k", "v", "o"} {
			out = append(out, a+".w."+w)
		}
		if bp.AttnBias {
			for _, w := range []string{"q", "k", "v", "o"} {
				out = append(out, a+".w."+w+"_bias")
			}
		}
		if bp.UseMLP {
			out = append(out, norm(m)...)
			out = append(out, m+".w.proj_in", m+".w.in_bias", m+".w.proj_out")
			if bp.MLPOutputBias {
				out = append(out, m+".w.out_bias")
			}
		}
	}
	if p.UseNormOutput {
		out = append(out, norm("final")...)
	}
	out = append(out, "t.w.unembed")
	if p.OutputBias {
		out = append(out, "t.w.unembed_bias")
	}
	return out
}

// DumpModelString writes weights as a model file in rust_circuit's layout:
// the `# info:` header, the embeddings as top-level Arrays, and Module
// 't.bind_w' calling the library's root with each weight as an Array named
// '<weight>_arr' bound to the library's Symbol of that name. weights must
// hold exactly ModelWeightNames(info.Params) plus the embeddings, with
// shapes that agree on every symbolic size; the text is checked by loading
// it back. Storing the tensors (so the hashes resolve) is the caller's job.
func DumpModelString(info TransformerInfo, weights map[string]*tensor.Tensor) (string, error) {
	return DumpModelStringHashed(info, weights, nil)
}

// DumpModelStringHashed is DumpModelString given hashes[n] =
// tensor.ContentHashHex(weights[n]) for every weight (nil: computed here),
// so a caller that also stores the weights hashes 500 MB once, not twice.
func DumpModelStringHashed(info TransformerInfo, weights map[string]*tensor.Tensor, hashes map[string]string) (string, error) {
	lib, err := Build(info.Params)
	if err != nil {
		return "", err
	}
	names := ModelWeightNames(info.Params)
	want := map[string]bool{}
	for _, n := range append(slices.Clone(embedWeights), names...) {
		want[n] = true
		if weights[n] == nil {
			return "", fmt.Errorf("model weights: %q is missing", n)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(weights)) {
		if !want[n] {
			return "", fmt.Errorf("model weights: %q is not a weight of this model (want %s)", n, strings.Join(names, ", "))
		}
	}
	if hashes == nil {
		hashes = make(map[string]string, len(weights))
		for n, t := range weights {
			hashes[n] = tensor.ContentHashHex(t)
		}
	}
	for n := range weights {
		if len(hashes[n]) != 64 {
			return "", fmt.Errorf("model weights: no content hash for %q", n)
		}
	}
	header, err := infoJSON(info)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(infoPrefix + header + "\n")
	for _, n := range embedWeights {
		t := weights[n]
		fmt.Fprintf(&b, "%s %s Array %s\n", circuit.QuoteName(n), circuit.FormatShape(t.Shape(), nil), hashes[n][:dumpHashLen])
	}
	fmt.Fprintf(&b, "'t.bind_w' Module\n  %s\n", circuit.QuoteName(lib.Root.Name()))
	perLayer := func(n string) bool { return n[0] == 'a' || n[0] == 'm' }
	for _, n := range names {
		t := weights[n]
		sym, ok := lib.Circs[n].(*circuit.Symbol)
		if !ok {
			return "", fmt.Errorf("module library: weight %q is not a Symbol", n)
		}
		if len(t.Shape()) != len(sym.Shape()) {
			return "", fmt.Errorf("model weights: %q has shape %v, want rank %d (%s)", n, t.Shape(), len(sym.Shape()), circuit.FormatShape(sym.Shape(), nil))
		}
		fmt.Fprintf(&b, "  %s %s Array %s ! %s", circuit.QuoteName(n+"_arr"), circuit.FormatShape(t.Shape(), nil), hashes[n][:dumpHashLen], circuit.QuoteName(n))
		// per-layer Symbols are written out in full, library-wide ones by name
		if perLayer(n) {
			fmt.Fprintf(&b, " %s Symbol %s", circuit.FormatShape(sym.Shape(), nil), sym.UUID)
		}
		b.WriteByte('\n')
	}
	text := b.String()
	// The check is structural: every Array line carries its shape, so it
	// parses unresolved, and the hashes are the weights' by construction
	// (resolving them would hash every tensor again).
	if _, _, err := LoadModelString(text, circuit.ParseOptions{File: "<dumped model>"}); err != nil {
		return "", fmt.Errorf("model weights do not fit the module library: %w", err)
	}
	return text, nil
}

// mapResolver resolves hash prefixes against an in-memory set of tensors,
// keyed by full content hash.
type mapResolver map[string]*tensor.Tensor

func newMapResolver(weights map[string]*tensor.Tensor, hashes map[string]string) mapResolver {
	m := make(mapResolver, len(weights))
	for n, t := range weights {
		m[hashes[n]] = t
	}
	return m
}

func (m mapResolver) Resolve(prefix string) (*tensor.Tensor, string, error) {
	for h, t := range m {
		if strings.HasPrefix(h, prefix) {
			return t, h, nil
		}
	}
	return nil, "", fmt.Errorf("tensor %s: %w", prefix, circuit.ErrNotStored)
}

// infoJSON writes the header as Python's json.dumps does (", " and ": "
// separators, rust_circuit's key order), so files diff cleanly against
// rust_circuit's.
func infoJSON(info TransformerInfo) (string, error) {
	bp := info.Params.BlockParams
	js := func(v any) string {
		out, _ := json.Marshal(v)
		return string(out)
	}
	block := fmt.Sprintf(`{"norm_type": %s, "attn_bias": %s, "attn_pos": %s, "use_mlp": %s, "mlp_act_type": %s, "mlp_output_bias": %s`,
		js(bp.NormType), js(bp.AttnBias), js(bp.AttnPos), js(bp.UseMLP), js(bp.MLPActType), js(bp.MLPOutputBias))
	if bp.UseParallelResidual || bp.UseRope {
		block += fmt.Sprintf(`, "use_parallel_residual": %s, "use_rope": %s`, js(bp.UseParallelResidual), js(bp.UseRope))
	}
	p := info.Params
	extra := "null"
	if len(info.Extra) > 0 {
		var v any
		if err := json.Unmarshal(info.Extra, &v); err != nil {
			return "", fmt.Errorf("# info extra: %w", err)
		}
		extra = js(v)
	}
	return fmt.Sprintf(`{"params": {"block_params": %s}, "num_layers": %d, "use_norm_output": %s, "output_bias": %s}, "model_class": %s, "pos_enc_type": %s, "causal_mask": %s, "extra": %s}`,
		block, p.NumLayers, js(p.UseNormOutput), js(p.OutputBias), js(info.ModelClass), js(info.PosEncType), js(info.CausalMask), extra), nil
}
