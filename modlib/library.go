package modlib

import (
	"fmt"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/internal/pyrandom"
)

// Library is the set of named circuits one TransformerParams builds; model
// files refer to them by name.
type Library struct {
	Circs map[string]circuit.Circuit
	// Root is t.logits, or t.logits_p_bias with an output bias.
	Root circuit.Circuit
}

// lib accumulates named circuits while the library text is read.
type lib struct{ circs map[string]circuit.Circuit }

// add parses text with every circuit built so far as a reference, and
// records each named node of the result.
func (l *lib) add(text string) error {
	cs, err := circuit.ParseCircuits(text, circuit.ParseOptions{File: "<module library>", References: l.circs})
	if err != nil {
		return err
	}
	circuit.Walk(cs, func(c circuit.Circuit) {
		if c.Name() != "" {
			if _, ok := l.circs[c.Name()]; !ok {
				l.circs[c.Name()] = c
			}
		}
	})
	return nil
}

func (l *lib) rename(from, to string) error {
	c, ok := l.circs[from]
	if !ok {
		return fmt.Errorf("module library: no circuit %q", from)
	}
	l.circs[to] = c.Rename(to)
	return nil
}

const layerNormText = `'ln' Add
  'ln.w.bias' [0s] Symbol 621c7792-0177-45ab-87c5-7ff1c3bec487
  'ln.y_scaled' Einsum h,h->h
    'ln.y' Einsum h,->h
      'ln.mean_subbed' Add
        'ln.input' [0s] Symbol 981b4d2a-711b-4a9d-a11c-d859c311e80c
        'ln.neg_mean' Einsum h,z,->z
          'ln.input'
          'ln.neg' [1] Scalar -1
          'ln.c.recip_hidden_size' GeneralFunction reciprocal
            'ln.c.hidden_size' GeneralFunction last_dim_size
              'ln.input'
      'ln.rsqrt' GeneralFunction rsqrt
        'ln.var_p_eps' Add
          'ln.c.eps' [] Scalar 1e-5
          'ln.var' Einsum h,h,->
            'ln.mean_subbed'
            'ln.mean_subbed'
            'ln.c.recip_hidden_size'
    'ln.w.scale' [0s] Symbol 0fa341c3-34b3-4699-847f-08674808b28a
`

const batchNormText = `'bn' Add
  'bn.w.bias' [0s] Symbol 3e861c08-9a74-4348-87df-3752a8557aea
  'bn.y_scaled' Einsum h,h->h
    'bn.y' Einsum h,h->h
      'bn.mean_subbed' Add
        'bn.input' [0s] Symbol cfe0aa25-1214-4d3e-ad53-417fedbb9b7b
        'bn.neg_mean' Einsum h,->h
          'bn.mean' [0s] Symbol 217403c9-03b6-4444-8f72-de03b95229d0
          'bn.neg' [] Scalar -1
      'bn.rsqrt' GeneralFunction rsqrt
        'bn.var_p_eps' Add
          'bn.c.eps' [] Scalar 1e-5
          'bn.var' [0s] Symbol c4e41ca7-e3ab-429e-81b6-25bb14423fb4
    'bn.w.scale' [0s] Symbol ccbac7e0-c931-422b-9724-1e24ab6e9c63
`

const notMaskText = `'not_mask' Add
  'one' [] Scalar 1
  'not_mask.neg_mask' Einsum ,->
    'not_mask.input' [] Symbol b46f6370-11e1-4535-aabc-94554c234673
    'neg_one' [] Scalar -1
`

// the five uuids of each norm binding, as rust_circuit lists them
var (
	mNormUUIDs     = []string{"fe330d51-0164-4b49-a504-81769d550bb1", "771e2d50-3414-459e-87ff-879f83d4a15c", "bf7ea689-c481-4ad4-89d0-0a59cd476739", "cf2adbd9-b04f-42af-86d7-cc5c8890607b", "f63f8838-9d69-4da2-a902-8eaf325f07a7"}
	aNormUUIDs     = []string{"c564149d-e226-4e3d-8e47-7d6e2ceea99e", "2c737289-2702-404c-a22e-ad37c2652620", "33774cb3-f047-4a1e-ac0c-e6f8c93d2bb2", "981982a3-253b-4c0d-8789-c0bc9dcd229b", "6a622698-fd68-4d25-aeee-e8d38e68049e"}
	finalNormUUIDs = []string{"2110aef7-70d5-4f77-a929-044e40c31cbd", "10652dc2-e9a8-4f1e-8bad-99d46804c7b3", "6cfcb4e6-7081-4d2d-bef9-1e9db52d4444", "94e8bc7f-1689-429f-bfec-67d33965aef5", "0851aebd-0d39-4f65-89f9-8a8afaed631a"}
)

// normBind is '{p}.norm': the norm module bound to per-prefix weights.
func normBind(p, nt string, u []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "'%s.norm' Module\n  '%s'\n  '%s.norm.input' [1s,0s] Symbol %s ! '%s.input'\n", p, nt, p, u[4], nt)
	if nt == "bn" {
		fmt.Fprintf(&b, "  '%s.bn.mean' [0s] Symbol %s ! 'bn.mean'\n  '%s.bn.var' [0s] Symbol %s ! 'bn.var'\n", p, u[3], p, u[2])
	}
	fmt.Fprintf(&b, "  '%s.%s.w.bias' [0s] Symbol %s ! '%s.w.bias'\n  '%s.%s.w.scale' [0s] Symbol %s ! '%s.w.scale'\n", p, nt, u[1], nt, p, nt, u[0], nt)
	return b.String()
}

// normCall is '{p}.norm_call': mod applied to the norm's output.
func normCall(p, mod string) string {
	return fmt.Sprintf("'%s.norm_call' Module\n  '%s'\n  '%s.norm' ! '%s.input'\n", p, mod, p, p)
}

// attentionText is one head ('a.head'), its call on the block input
// ('a.head.on_inp'), and all heads summed ('a', 'a.p_bias').
func attentionText(bias, pos bool) string {
	proj := func(x, in, letter, dim, wUUID, bUUID, inUUID string) string {
		e := fmt.Sprintf("'a.%s' Einsum %sd,cd->%sc\n  'a.%s.input' [%s,0s] Symbol %s\n  'a.w.%s_h' [%s,0s] Symbol %s\n", x, letter, letter, x, in, inUUID, x, dim, wUUID)
		if x == "v" {
			e = fmt.Sprintf("'a.v' Einsum kd,Vd->kV\n  'a.v.input' [3s,0s] Symbol %s\n  'a.w.v_h' [8s,0s] Symbol %s\n", inUUID, wUUID)
		}
		if !bias {
			return e
		}
		return fmt.Sprintf("'a.%s_p_bias' Add\n%s  'a.w.%s_bias_h' [%s] Symbol %s\n", x, indent(e, "  "), x, dim, bUUID)
	}
	q := proj("q", "2s", "q", "7s", "665efa60-d86c-40d5-92b2-b96d11686a8b", "7d531f53-6cce-4bf3-82db-5fe8b2eef974", "4f80d1a1-86a4-4e44-94f7-909ec7089061")
	k := proj("k", "3s", "k", "7s", "41177709-446d-4588-b9e5-c2bbf59d53a0", "a891aae4-3c24-4713-afc7-8b954c6fc1b5", "664bddee-28ca-47e7-9fb7-9a718de06619")
	v := proj("v", "3s", "k", "8s", "79b6ebff-f9d0-411a-bcdc-530cc13e1524", "dfb2c4ec-9378-40ee-a360-7d58f2b96954", "8fd4c632-7f28-49ee-84cc-3dde997e0693")
	var b strings.Builder
	b.WriteString("'a.head' Einsum sV,dV->sd\n  'a.comb_v' Einsum qk,kV->qV\n    'a.attn_probs' GeneralFunction softmax\n      'a.attn_scores' Add\n        'a.attn_scores_raw' Einsum qc,kc,,qk->qk\n")
	b.WriteString(indent(q, "          "))
	b.WriteString(indent(k, "          "))
	b.WriteString(`          'a.c.div_head_size' GeneralFunction rsqrt
            'a.c.head_size' GeneralFunction last_dim_size
              'a.c.bias_for_head_size' Einsum jk->j
                'a.w.k_h'
          'a.mask' [2s,3s] Symbol ccfe5bc9-b402-42dd-a5e1-191e6fb7c268
        'a.score_neg_inf_bias' Einsum qk,->qk
          'a.not_mask' Module
            'not_mask'
            'a.mask' ! 'not_mask.input'
          'a.neg_inf' [] Scalar -10000
`)
	b.WriteString(indent(v, "    "))
	b.WriteString("  'a.w.o_h' [0s,8s] Symbol 11a116cb-2168-4725-a06f-1b61a8ca6797\n\n")
	b.WriteString("'a.head.on_inp' Module\n  'a.head'\n")
	if pos {
		b.WriteString("  'a.qk_input' Add ! 'a.q.input'\n    'a.input' [1s,0s] Symbol f9eabd07-e2ab-4ed4-8b4a-c9c039d61835\n    'a.pos_input' [1s,0s] Symbol eab8313e-d910-4174-8dbe-c612954eec34\n  'a.qk_input' ! 'a.k.input'\n  'a.input' ! 'a.v.input'\n\n")
	} else {
		b.WriteString("  'a.input' [1s,0s] Symbol f9eabd07-e2ab-4ed4-8b4a-c9c039d61835 ! 'a.q.input'\n  'a.input' ! 'a.k.input'\n  'a.input' ! 'a.v.input'\n\n")
	}
	heads := "'a' Einsum hsd->sd\n  'a.heads' Module\n    'a.head.on_inp'\n" +
		"    'a.w.q' [4s,7s,0s] Symbol cf8f9c58-1875-45b0-8007-66b66b8a405a ! 'a.w.q_h'\n"
	if bias {
		heads += "    'a.w.q_bias' [4s,7s] Symbol e896a43e-ba35-43d5-97e7-e189caf3278b ! 'a.w.q_bias_h'\n"
	}
	heads += "    'a.w.k' [4s,7s,0s] Symbol c342f1cd-71e6-4848-86b4-1c3ffdd46753 ! 'a.w.k_h'\n"
	if bias {
		heads += "    'a.w.k_bias' [4s,7s] Symbol 13465b29-c28a-4d55-8a27-22c26cc01c69 ! 'a.w.k_bias_h'\n"
	}
	heads += "    'a.w.v' [4s,8s,0s] Symbol a90db69c-f4ad-47d6-8b76-faa4b107dacd ! 'a.w.v_h'\n"
	if bias {
		heads += "    'a.w.v_bias' [4s,8s] Symbol ea64ee26-2438-4aa9-b777-0ef4f5f70e74 ! 'a.w.v_bias_h'\n"
	}
	heads += "    'a.w.o' [4s,0s,8s] Symbol 24e0e5cf-8b68-4bf2-b198-17237523b237 ! 'a.w.o_h'\n"
	if bias {
		heads = "'a.p_bias' Add\n" + indent(heads, "  ") + "  'a.w.o_bias' [0s] Symbol 61d54061-63e2-4a5d-9c7a-15c1ecc53b95\n"
	}
	b.WriteString(heads)
	return b.String()
}

// mlpText is the pointwise MLP ('m', 'm.p_bias') or the bilinear one.
func mlpText(act string, outBias bool) string {
	var body string
	if act == "bilinear" {
		body = `'m' Einsum h,h,oh->o
  'm.pre0' Index [0,:]
    'm.fold_pre' Rearrange (a:2 b) -> a:2 b
      'm.pre_p_bias' Add
        'm.pre' Einsum i,hi->h
          'm.input' [0s] Symbol 13ec4cdc-5f25-4969-870b-0bfa2300187b
          'm.w.proj_in' [2*6s,0s] Symbol c171d519-8793-4a8b-ac5e-d550347f30a6
        'm.w.in_bias' [2*6s] Symbol 886b5425-cd19-4db4-871a-c46cb1a23114
  'm.pre1' Index [1,:]
    'm.fold_pre'
  'm.w.proj_out' [0s,6s] Symbol e61637eb-9f17-4325-b2c2-5eb2518026cf
`
		if outBias {
			return "'m.p_bias' Add\n" + indent(body, "  ") + "  'm.w.out_bias' [0s] Symbol 7efddf2e-20af-492c-a94e-1d19468f333f\n"
		}
		return body
	}
	body = fmt.Sprintf(`'m' Einsum h,oh->o
  'm.act' GeneralFunction %s
    'm.pre' Add
      'm.pre_mul' Einsum i,hi->h
        'm.input' [0s] Symbol 13ec4cdc-5f25-4969-870b-0bfa2300187b
        'm.w.proj_in' [5s,0s] Symbol 5217f963-0cdb-460e-bb1f-f82f7fbb3cd9
      'm.w.in_bias' [5s] Symbol c870ec00-8c6f-4080-907c-703ea85dde48
  'm.w.proj_out' [0s,5s] Symbol fdefa9af-a7d6-4a38-a7ed-5ce816c6efe7
`, act)
	if outBias {
		return "'m.p_bias' Add\n" + indent(body, "  ") + "  'm.w.out_bias' [0s] Symbol 113c30ba-fa88-4f34-a301-ea7912e03064\n"
	}
	return body
}

func indent(s, pre string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" && l != "\n" {
			b.WriteString(pre)
		}
		b.WriteString(l)
	}
	return b.String()
}

// weightNames lists a block's weights in rust_circuit's argument order,
// which fixes which random draw each layer's rebound Symbol gets.
func weightNames(bp BlockParams) []string {
	var out []string
	norm := bp.NormType != nil
	if bp.UseMLP {
		out = append(out, "m.w.proj_in", "m.w.in_bias", "m.w.proj_out")
		if bp.MLPOutputBias {
			out = append(out, "m.w.out_bias")
		}
		if norm {
			out = append(out, normWeights("m", *bp.NormType)...)
		}
	}
	for _, w := range []string{"q", "k", "v", "o"} {
		out = append(out, "a.w."+w)
		if bp.AttnBias {
			out = append(out, "a.w."+w+"_bias")
		}
	}
	if norm {
		out = append(out, normWeights("a", *bp.NormType)...)
	}
	return out
}

func normWeights(p, nt string) []string {
	if nt == "bn" {
		return []string{p + ".bn.mean", p + ".bn.var", p + ".bn.w.bias", p + ".bn.w.scale"}
	}
	return []string{p + ".ln.w.bias", p + ".ln.w.scale"}
}

// addNumber is rust_circuit's add_number: "a.w.q", 3 -> "a3.w.q".
func addNumber(name string, n int) string {
	before, after, _ := strings.Cut(name, ".")
	return fmt.Sprintf("%s%d.%s", before, n, after)
}

// Build builds the module library of p: every named circuit, and t.logits
// (t.logits_p_bias with an output bias) as Root.
func Build(p TransformerParams) (*Library, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	l := &lib{circs: map[string]circuit.Circuit{}}
	bp := p.BlockParams
	steps := []string{}
	var nt string
	if bp.NormType != nil {
		nt = *bp.NormType
		if nt == "ln" {
			steps = append(steps, layerNormText)
		} else {
			steps = append(steps, batchNormText)
		}
	}
	mlpName := "m"
	if bp.UseMLP {
		steps = append(steps, mlpText(bp.MLPActType, bp.MLPOutputBias))
		if bp.MLPOutputBias {
			mlpName = "m.p_bias"
		}
		if nt != "" {
			steps = append(steps, normBind("m", nt, mNormUUIDs), normCall("m", mlpName))
			mlpName = "m.norm_call"
		}
	}
	steps = append(steps, notMaskText, attentionText(bp.AttnBias, bp.AttnPos))
	attnName := "a"
	if bp.AttnBias {
		attnName = "a.p_bias"
	}
	attnInput := "a.input"
	if nt != "" {
		steps = append(steps, normBind("a", nt, aNormUUIDs), normCall("a", attnName))
		attnName, attnInput = "a.norm_call", "a.norm.input"
	}
	steps = append(steps, fmt.Sprintf("'b.resid.a' Add\n  'b.a' Module\n    '%s'\n    'b.input' [1s,0s] Symbol 5837c4fd-f5ac-4bff-8456-abf3e95bcf36 ! '%s'\n  'b.input'\n", attnName, attnInput))
	resid := "b.resid.a"
	if bp.UseMLP {
		mlpInput := "m.input"
		if nt != "" {
			mlpInput = "m.norm.input"
		}
		steps = append(steps, fmt.Sprintf("'b.resid.m' Add\n  'b.m' Module\n    '%s'\n    'b.resid.a' ! '%s'\n  'b.resid.a'\n", mlpName, mlpInput))
		resid = "b.resid.m"
	}
	for _, s := range steps {
		if err := l.add(s); err != nil {
			return nil, err
		}
	}
	if err := l.rename(resid, "b"); err != nil {
		return nil, err
	}
	out := "t.input"
	if err := l.add("'t.input' [1s,0s] Symbol ece2bb5d-c6d6-4b7a-93a5-32b5ac264888\n"); err != nil {
		return nil, err
	}
	for i := 0; i < p.NumLayers; i++ {
		if err := l.rebind(bp, i); err != nil {
			return nil, err
		}
		if err := l.add(fmt.Sprintf("'b%d.call' Module\n  'b%d'\n  '%s' ! 'b.input'\n", i, i, out)); err != nil {
			return nil, err
		}
		out = fmt.Sprintf("b%d.call", i)
	}
	if nt != "" && p.UseNormOutput {
		if err := l.add(normBind("final", nt, finalNormUUIDs)); err != nil {
			return nil, err
		}
		if err := l.add(fmt.Sprintf("'final.call' Module\n  'final.norm'\n  '%s' ! 'final.norm.input'\n", out)); err != nil {
			return nil, err
		}
		out = "final.call"
	}
	logits := fmt.Sprintf("'t.logits' Einsum sh,vh->sv\n  '%s'\n  't.w.unembed' [10s,0s] Symbol 85d5a05a-ef9e-4910-a967-3f27951f67cf\n", out)
	root := "t.logits"
	if p.OutputBias {
		logits += "'t.logits_p_bias' Add\n  't.logits'\n  't.w.unembed_bias' [10s] Symbol 62d9f91a-5df2-4eb8-af75-5bdfb15eb974\n"
		root = "t.logits_p_bias"
	}
	if err := l.add(logits); err != nil {
		return nil, err
	}
	return &Library{Circs: l.circs, Root: l.circs[root]}, nil
}

// rebind adds 'b{i}': block 'b' with every weight bound to a layer-i Symbol
// whose uuid is Python's random.Random(i).getrandbits(128).
func (l *lib) rebind(bp BlockParams, i int) error {
	rd := pyrandom.NewInt(int64(i))
	var b strings.Builder
	fmt.Fprintf(&b, "'b%d' Module\n  'b'\n", i)
	for _, w := range weightNames(bp) {
		s, ok := l.circs[w].(*circuit.Symbol)
		if !ok {
			return fmt.Errorf("module library: weight %q is not a Symbol", w)
		}
		fmt.Fprintf(&b, "  %s %s Symbol %s ! '%s'\n", circuit.QuoteName(addNumber(w, i)), circuit.FormatShape(s.Shape(), nil), rd.UUID4Bits(), w)
	}
	return l.add(b.String())
}
