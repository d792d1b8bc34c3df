package transformer

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/circopt/circopt/circuit"
)

// ConfigureOptions says how Configure lays out a bound model.
type ConfigureOptions struct {
	// SplitHeads makes each layer's attention 'a{l}' the sum of one node
	// per head, 'a{l}.h{i}', so one head can be ablated or patched alone.
	SplitHeads bool
	// SplitPositions makes 't.input' a concatenation of one node per
	// position, 't.input.p{i}'.
	SplitPositions bool
}

// Configure is rust_circuit's configure_transformer on a bound model (the
// 't.call' Module of modlib.BindToInputTokens): every module is
// substituted, and the library's per-block names get their layer number as
// push_down_transformer_namer gives it ('a' in block 1 is 'a1', 'm.p_bias'
// is 'm1.p_bias', a layer norm is named by its norm module: 'a1.norm',
// 'final.norm'; block i's output is 'b{i}'). Weight Arrays lose their _arr
// suffix and the embedded input is 't.input'. Values never change.
func Configure(call *circuit.Module, opts ConfigureOptions) (circuit.Circuit, error) {
	f := &flattener{split: opts.SplitHeads, memo: map[flatKey]circuit.Circuit{}, replace: map[circuit.Hash]circuit.Circuit{}}
	for i, s := range call.ArgSpecs {
		if s.Symbol.Name() != "t.input" {
			continue
		}
		arg := call.Args()[i]
		in, err := inputNode(arg, opts.SplitPositions)
		if err != nil {
			return nil, err
		}
		// the substituted body holds the argument itself: swap it there
		// rather than rebuild the Module
		f.replace[arg.Hash()] = in
	}
	if len(f.replace) == 0 {
		return nil, fmt.Errorf("%s binds no 't.input'", circuit.Label(call))
	}
	return f.visit(call, -1, "")
}

// inputNode names the residual stream input 't.input', optionally as a
// concatenation of its positions along the sequence axis.
func inputNode(in circuit.Circuit, split bool) (circuit.Circuit, error) {
	if !split {
		return in.Rename("t.input"), nil
	}
	whole := in.Rename("t.embeds")
	axis := in.Rank() - 2
	ps := make([]circuit.Circuit, in.Shape()[axis])
	for i := range ps {
		idx := make([]circuit.AxisIndex, in.Rank())
		for j := range idx {
			idx[j] = circuit.All()
		}
		idx[axis] = circuit.Slice(i, i+1)
		p, err := circuit.NewIndex(fmt.Sprintf("t.input.p%d", i), idx, whole)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return circuit.NewConcat("t.input", axis, ps...)
}

var (
	blockModule  = regexp.MustCompile(`^b(\d+)(\.call)?$`)
	normModule   = regexp.MustCompile(`^(a|m|final)\.norm$`)
	perBlockName = regexp.MustCompile(`^([amb]\.|[am]$|ln$)`)
	attnName     = regexp.MustCompile(`^a\d+$`)
)

type flatKey struct {
	h     circuit.Hash
	layer int
	norm  string
}

// flattener substitutes modules top-down, knowing for each node the block
// ('b{i}' Module) and norm module it was called in.
type flattener struct {
	split   bool
	memo    map[flatKey]circuit.Circuit
	replace map[circuit.Hash]circuit.Circuit // nodes that are already laid out
}

func (f *flattener) visit(c circuit.Circuit, layer int, norm string) (circuit.Circuit, error) {
	k := flatKey{c.Hash(), layer, norm}
	if out, ok := f.memo[k]; ok {
		return out, nil
	}
	out, ok := f.replace[c.Hash()]
	var err error
	if !ok {
		out, err = f.node(c, layer, norm)
	}
	if err != nil {
		return nil, err
	}
	f.memo[k] = out
	return out, nil
}

func (f *flattener) node(c circuit.Circuit, layer int, norm string) (circuit.Circuit, error) {
	if m, ok := c.(*circuit.Module); ok {
		sub := blockModule.FindStringSubmatch(m.Name())
		if sub != nil {
			layer, _ = strconv.Atoi(sub[1])
		}
		if normModule.MatchString(m.Name()) {
			norm = m.Name()
		}
		out, err := f.visit(m.Substitute(), layer, norm)
		if err != nil || sub == nil {
			return out, err
		}
		return out.Rename(fmt.Sprintf("b%d", layer)), nil // clear_block_module's name
	}
	kids := c.Children()
	changed := false
	nk := make([]circuit.Circuit, len(kids))
	for i, k := range kids {
		n, err := f.visit(k, layer, norm)
		if err != nil {
			return nil, err
		}
		nk[i], changed = n, changed || n != k
	}
	out := c
	if changed {
		var err error
		if out, err = c.WithChildren(nk); err != nil {
			return nil, err
		}
	}
	name := layerName(c.Name(), layer, norm)
	if _, ok := c.(*circuit.Array); ok {
		name = strings.TrimSuffix(name, "_arr")
	}
	if name != c.Name() {
		out = out.Rename(name)
	}
	if f.split && attnName.MatchString(name) {
		return splitHeads(out)
	}
	return out, nil
}

// layerName is push_down_transformer_namer: library names of a block get
// the block's number after their first part; 'ln' is named by its module.
func layerName(name string, layer int, norm string) string {
	if !perBlockName.MatchString(name) {
		return name
	}
	if name == "ln" {
		if norm == "" {
			return name
		}
		name = norm
	}
	first, rest, dotted := strings.Cut(name, ".")
	if layer >= 0 && first != "final" {
		first += strconv.Itoa(layer)
	}
	if dotted {
		return first + "." + rest
	}
	return first
}

// splitHeads turns 'a{l}', the einsum summing its heads operand over the
// head axis, into the sum of 'a{l}.h{i}': that operand at head i.
func splitHeads(c circuit.Circuit) (circuit.Circuit, error) {
	e, ok := c.(*circuit.Einsum)
	if !ok || len(e.Axes) != 1 {
		return nil, fmt.Errorf("%s is not the einsum summing attention heads", circuit.Label(c))
	}
	axis := -1
	for j, l := range e.Axes[0] {
		if !slices.Contains(e.Out, l) {
			if axis >= 0 {
				return nil, fmt.Errorf("%s sums more than the head axis", circuit.Label(c))
			}
			axis = j
		}
	}
	if axis < 0 || len(e.Out) != len(e.Axes[0])-1 {
		return nil, fmt.Errorf("%s does not sum one head axis", circuit.Label(c))
	}
	heads := e.Children()[0]
	terms := make([]circuit.Circuit, heads.Shape()[axis])
	for i := range terms {
		idx := make([]circuit.AxisIndex, heads.Rank())
		for j := range idx {
			idx[j] = circuit.All()
		}
		idx[axis] = circuit.Int(i)
		h, err := circuit.NewIndex(fmt.Sprintf("%s.h%d", c.Name(), i), idx, heads)
		if err != nil {
			return nil, err
		}
		terms[i] = h
		// the remaining axes in the einsum's output order
		if rest := without(e.Axes[0], axis); !slices.Equal(rest, e.Out) {
			if terms[i], err = circuit.NewEinsum("", [][]int{rest}, e.Out, h); err != nil {
				return nil, err
			}
		}
	}
	return circuit.NewAdd(c.Name(), terms...)
}

func without(xs []int, i int) []int {
	return append(slices.Clone(xs[:i]), xs[i+1:]...)
}
