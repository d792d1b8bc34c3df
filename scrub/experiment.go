package scrub

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// Experiment is a causal scrubbing experiment: a model whose free Symbols
// are named after dataset arrays (with per-example shapes), a dataset, and
// a checked correspondence.
type Experiment struct {
	Model circuit.Circuit
	Data  *Dataset
	Corr  *Correspondence
	// Inputs are the model's free Symbols by name, sorted.
	Inputs  []string
	symbols map[string]*circuit.Symbol
	order   []*InterpNode
	tree    *Treeified
}

// NewExperiment checks the correspondence against the model (including
// injectivity after treeification) and treeifies once.
func NewExperiment(model circuit.Circuit, ds *Dataset, corr *Correspondence) (*Experiment, error) {
	e := &Experiment{Model: model, Data: ds, Corr: corr, symbols: map[string]*circuit.Symbol{}}
	for _, s := range circuit.FreeSymbols(model) {
		name := s.Name()
		if name == "" {
			return nil, fmt.Errorf("free Symbol %s has no name: inputs are named after dataset arrays", s.UUID)
		}
		if prev, ok := e.symbols[name]; ok && prev.Hash() != s.Hash() {
			return nil, fmt.Errorf("two different free Symbols are named %q", name)
		}
		t, err := ds.Array(name)
		if err != nil {
			return nil, fmt.Errorf("free Symbol %q: %w", name, err)
		}
		if !slices.Equal(t.Shape()[1:], s.Shape()) {
			return nil, &ColumnError{name, fmt.Sprintf("per-example shape %v, but Symbol %q has shape %v", t.Shape()[1:], name, s.Shape())}
		}
		e.symbols[name] = s
		e.Inputs = append(e.Inputs, name)
	}
	if len(e.Inputs) == 0 {
		return nil, fmt.Errorf("the model has no free Symbols to resample")
	}
	sort.Strings(e.Inputs)
	if err := corr.Check(model, e.Inputs); err != nil {
		return nil, err
	}
	order, err := corr.Order()
	if err != nil {
		return nil, err
	}
	e.order = order
	if e.tree, err = corr.Treeify(model, e.Inputs); err != nil {
		return nil, err
	}
	if err := corr.CheckInjective(e.tree.Circuit); err != nil {
		return nil, err
	}
	return e, nil
}

// Treeified returns the treeified model.
func (e *Experiment) Treeified() *Treeified { return e.tree }

// Samples are the data one scrub draws: example indices, n per vector.
type Samples struct {
	Seed uint64
	Ref  []int
	// Datum is each interp node's cond datum; Other each non-leaf's
	// other-inputs datum.
	Datum map[string][]int
	Other map[string][]int
	// Random is one independent datum per input array (the random baseline).
	Random map[string][]int
}

// NewRand is the generator every draw of a run uses.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Sample draws n reference examples and everything the hypothesis needs,
// in the order doc.go states.
func (e *Experiment) Sample(n int, seed uint64) (*Samples, error) {
	if n < 1 {
		return nil, fmt.Errorf("need at least one sample, got %d", n)
	}
	rng := NewRand(seed)
	s := &Samples{Seed: seed, Datum: map[string][]int{}, Other: map[string][]int{}, Random: map[string][]int{}}
	s.Ref = e.Data.Uniform(n, rng)
	// the baseline draws come before the hypothesis's, so that one seed
	// gives the same original and random numbers under every hypothesis
	for _, in := range e.Inputs {
		s.Random[in] = e.Data.Uniform(n, rng)
	}
	parent := e.Corr.parents()
	ps := pools{}
	for _, node := range e.order {
		from := s.Ref
		if p := parent[node]; p != nil {
			from = s.Datum[p.Name]
		}
		d, err := ps.sampleWithPool(node.Cond, from, e.Data, rng)
		if err != nil {
			return nil, fmt.Errorf("interp node %q: %w", node.Name, err)
		}
		s.Datum[node.Name] = d
		if !node.IsLeaf() {
			o, err := ps.sampleWithPool(node.Other, d, e.Data, rng)
			if err != nil {
				return nil, fmt.Errorf("interp node %q other inputs: %w", node.Name, err)
			}
			s.Other[node.Name] = o
		}
	}
	return s, nil
}

// SlotDatum is the datum a slot's input takes.
func (s *Samples) SlotDatum(sl Slot) []int {
	if sl.Node.IsLeaf() {
		return s.Datum[sl.Node.Name]
	}
	return s.Other[sl.Node.Name]
}

// Batch is what one scrub evaluates: three circuits of shape [n] whose
// free Symbols are gathered input rows, one Symbol per distinct (input,
// datum vector), bound in Bindings by name.
type Batch struct {
	Original, Scrubbed, Random circuit.Circuit
	Bindings                   map[string]*tensor.Tensor
}

// Build makes the original, scrubbed and random circuits for s.
func (e *Experiment) Build(s *Samples) (*Batch, error) {
	b := &Batch{Bindings: map[string]*tensor.Tensor{}}
	ref := map[string][]int{}
	for _, in := range e.Inputs {
		ref[in] = s.Ref
	}
	var err error
	if b.Original, err = e.withInputs(b, ref); err != nil {
		return nil, err
	}
	if b.Random, err = e.withInputs(b, s.Random); err != nil {
		return nil, err
	}
	repl := map[circuit.Hash]circuit.Circuit{}
	circuit.Walk([]circuit.Circuit{e.tree.Circuit}, func(c circuit.Circuit) {
		tag, ok := c.(*circuit.Tag)
		if !ok || err != nil {
			return
		}
		sl, ok := e.tree.Slots[tag.UUID]
		if !ok {
			return
		}
		var g circuit.Circuit
		if g, err = e.gathered(b, sl.Input, s.SlotDatum(sl)); err == nil {
			repl[c.Hash()] = g
		}
	})
	if err != nil {
		return nil, err
	}
	if b.Scrubbed, err = circuit.ReplaceExpand(e.tree.Circuit, repl); err != nil {
		return nil, err
	}
	return b, nil
}

// gathered is the Symbol for input's rows at idx, [n, ...]: named and
// identified by a hash of (input, idx), so equal datum vectors give one
// Symbol and CSE shares everything computed from it.
func (e *Experiment) gathered(b *Batch, input string, idx []int) (circuit.Circuit, error) {
	h := sha256.New()
	h.Write([]byte(input))
	var buf [8]byte
	for _, i := range idx {
		binary.LittleEndian.PutUint64(buf[:], uint64(i))
		h.Write(buf[:])
	}
	sum := fmt.Sprintf("%x", h.Sum(nil))
	name := input + "@" + sum[:16]
	t, ok := b.Bindings[name]
	if !ok {
		var err error
		if t, err = e.Data.Gather(input, idx, tensor.Float64); err != nil {
			return nil, err
		}
		b.Bindings[name] = t
	}
	return circuit.NewSymbol(t.Shape(), slotUUID("gather", sum, input), name)
}

// withInputs is the model on one datum vector per input array.
func (e *Experiment) withInputs(b *Batch, idx map[string][]int) (circuit.Circuit, error) {
	repl := map[circuit.Hash]circuit.Circuit{}
	for _, in := range e.Inputs {
		g, err := e.gathered(b, in, idx[in])
		if err != nil {
			return nil, err
		}
		repl[e.symbols[in].Hash()] = g
	}
	return circuit.ReplaceExpand(e.Model, repl)
}

// Summary is a mean over the n samples with its standard error.
type Summary struct {
	Mean   float64 `json:"mean"`
	Stderr float64 `json:"stderr"`
}

// Result is one scrub: the root per sample on the original, scrubbed and
// random inputs, summarized.
type Result struct {
	N             int     `json:"n"`
	Seed          uint64  `json:"seed"`
	Original      Summary `json:"original"`
	Scrubbed      Summary `json:"scrubbed"`
	Random        Summary `json:"random"`
	LossRecovered float64 `json:"loss_recovered"`
	// Per-sample values, in reference order.
	OriginalValues, ScrubbedValues, RandomValues []float64 `json:"-"`
}

// RunOptions configure Run.
type RunOptions struct {
	// DType of evaluation (float32 by default).
	DType tensor.DType
	// Naive evaluates with the reference evaluator instead of the compiler.
	Naive bool
	// MaxMemory bounds the compiled plan's peak bytes (0: no bound).
	MaxMemory int64
}

// Run evaluates the original, scrubbed and random circuits in one compiled
// run (shared work is computed once) and summarizes them. The model's root
// must be one number per example.
func (e *Experiment) Run(s *Samples, opts RunOptions) (*Result, error) {
	if r := e.Model.Rank(); r != 0 {
		return nil, fmt.Errorf("the model's root %s has shape %v; scrubbing needs one number per example (a scalar root)", circuit.Label(e.Model), e.Model.Shape())
	}
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	b, err := e.Build(s)
	if err != nil {
		return nil, err
	}
	cs := []circuit.Circuit{b.Original, b.Scrubbed, b.Random}
	binds := make(map[string]*tensor.Tensor, len(b.Bindings))
	for k, t := range b.Bindings {
		binds[k] = t.Cast(dt)
	}
	var vals []*tensor.Tensor
	if opts.Naive {
		vals, err = circuit.EvaluateAll(cs, circuit.EvalOptions{DType: dt, Bindings: binds})
	} else {
		vals, err = circopt.EvaluateMany(cs, binds, circopt.Options{DType: dt, MaxMemory: opts.MaxMemory})
	}
	if err != nil {
		return nil, fmt.Errorf("evaluating the scrub: %w", err)
	}
	r := &Result{N: len(s.Ref), Seed: s.Seed,
		OriginalValues: vals[0].Float64s(), ScrubbedValues: vals[1].Float64s(), RandomValues: vals[2].Float64s()}
	r.Original = summarize(r.OriginalValues)
	r.Scrubbed = summarize(r.ScrubbedValues)
	r.Random = summarize(r.RandomValues)
	r.LossRecovered = (r.Random.Mean - r.Scrubbed.Mean) / (r.Random.Mean - r.Original.Mean)
	return r, nil
}
