package modlib

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// BindToInputTokens is rust_circuit's TransformerInfo.bind_to_input_tokens:
// model (a Module such as 't.bind_w' whose free Symbols are t.input, a.mask
// and, for shortformer models, a.pos_input) called on int64 token ids of
// shape [seq] or [batch, seq]. The token embedding 't.tok_embeds' is
// gen_index_at_-2_c of tokEmbeds by the ids (Array 't.toks'), as in
// rust_circuit, positions 0..seq-1 of
// posEmbeds are added to it (pos_enc_type "gpt") or bound to a.pos_input
// ("shortformer"), and a.mask is the causal mask or all ones. The result is
// Module 't.call'. Ids must lie in the vocabulary and seq within posEmbeds:
// errors name the offending position.
func BindToInputTokens(info TransformerInfo, model, tokEmbeds, posEmbeds circuit.Circuit, tokens *tensor.Tensor) (*circuit.Module, error) {
	if err := CheckTokens(tokens, tokEmbeds.Shape()[0], posEmbeds.Shape()[0]); err != nil {
		return nil, err
	}
	sh := tokens.Shape()
	seq := sh[len(sh)-1]
	ids, err := circuit.NewArray(tokens, "t.toks")
	if err != nil {
		return nil, err
	}
	// rust_circuit: GeneralFunction.gen_index(tok_embed_weights, toks, -2)
	embedded, err := circuit.NewGenIndex("t.tok_embeds", TokenEmbedIndex, tokEmbeds, ids)
	if err != nil {
		return nil, err
	}
	pos, err := circuit.NewIndex("t.w.pos_embeds_idxed", []circuit.AxisIndex{circuit.Slice(0, seq), circuit.All()}, posEmbeds)
	if err != nil {
		return nil, err
	}
	posType := "gpt"
	if info.PosEncType != nil {
		posType = *info.PosEncType
	}
	var inp circuit.Circuit = embedded
	switch posType {
	case "gpt":
		if inp, err = circuit.NewAdd("t.inp_tok_pos", embedded, pos); err != nil {
			return nil, err
		}
	case "shortformer":
	default:
		return nil, fmt.Errorf("# info: pos_enc_type %q is not gpt or shortformer", posType)
	}
	var mask circuit.Circuit
	if info.CausalMask == nil || *info.CausalMask {
		m := make([]float32, seq*seq)
		for q := 0; q < seq; q++ {
			for k := 0; k <= q; k++ {
				m[q*seq+k] = 1
			}
		}
		t, err := tensor.FromFloat32([]int{seq, seq}, m)
		if err != nil {
			return nil, err
		}
		if mask, err = circuit.NewArray(t, "t.a.c.causal_mask"); err != nil {
			return nil, err
		}
	} else if mask, err = circuit.NewScalar(1, []int{seq, seq}, "t.a.c.full_mask"); err != nil {
		return nil, err
	}
	type input struct {
		name string
		c    circuit.Circuit
	}
	pairs := []input{{"t.input", inp}, {"a.mask", mask}}
	if posType == "shortformer" {
		pairs = append(pairs, input{"a.pos_input", pos})
	}
	free := map[string]*circuit.Symbol{}
	for _, s := range circuit.FreeSymbols(model) {
		free[s.Name()] = s
	}
	var specs []circuit.ModuleArgSpec
	var args []circuit.Circuit
	for _, p := range pairs {
		s, ok := free[p.name]
		if !ok {
			return nil, fmt.Errorf("%s: no free Symbol %q to bind (pos_enc_type %s)", circuit.Label(model), p.name, posType)
		}
		specs = append(specs, circuit.DefaultArgSpec(s))
		args = append(args, p.c)
	}
	return circuit.NewModule("t.call", model, specs, args...)
}

// TokenEmbedIndex is the gen_index of the token embedding: rows of the
// [vocab, hidden] table (axis -2) by each token id, the ids' axes first.
var TokenEmbedIndex = circuit.GenIndexSpec{IndexDim: -2, BatchIndex: true, CheckInts: true}

// CheckTokens refuses token ids that are not int64 [seq] or [batch, seq],
// lie outside a vocabulary of vocab, or are more than ctx positions long,
// naming the position.
func CheckTokens(tokens *tensor.Tensor, vocab, ctx int) error {
	if tokens.DType() != tensor.Int64 {
		return fmt.Errorf("token ids have dtype %v, want int64", tokens.DType())
	}
	sh := tokens.Shape()
	if len(sh) != 1 && len(sh) != 2 {
		return fmt.Errorf("token ids have shape %v, want [seq] or [batch, seq]", sh)
	}
	seq := sh[len(sh)-1]
	if seq == 0 || tokens.Size() == 0 {
		return fmt.Errorf("token ids have shape %v: no tokens", sh)
	}
	if seq > ctx {
		return fmt.Errorf("sequence of %d tokens is longer than the positional table (%d positions): position %d has no embedding", seq, ctx, ctx)
	}
	for i, id := range tokens.Int64s() {
		if id < 0 || id >= int64(vocab) {
			pos := fmt.Sprint(i)
			if len(sh) == 2 {
				pos = fmt.Sprintf("[%d, %d]", i/seq, i%seq)
			}
			return fmt.Errorf("token id %d at position %s is outside the vocabulary of %d", id, pos, vocab)
		}
	}
	return nil
}
