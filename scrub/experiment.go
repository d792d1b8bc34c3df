package scrub

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

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
	// slotOrder is the slots' tag uuids, sorted: the order build uses them.
	slotOrder []string
	mu        sync.Mutex
	shapes    map[string]*shaped // by batch shape (gatherer.sig)
	// columnar holds the inputs the model reads one element at a time
	// (see columnarInputs): Run gathers them column by column.
	columnar map[string]bool
	// works is each batch shape's unionWork; unionPlans the union
	// evaluation's plans by its circuits (see unionrun.go).
	works      map[string]unionWork
	unionPlans map[string]*circopt.Plan
	// unionMemos are the union evaluation's pattern-only parts by vector
	// pattern (unionmemo.go); slotWalk the slots in circuit.Walk order.
	unionMemos map[string]*unionMemo
	slotWalk   []Slot
	// way forces Run's evaluation (tests and benchmarks compare them).
	way evalWay
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
	e.columnar = columnarInputs(model, e.symbols)
	if err := corr.Check(model, e.Inputs); err != nil {
		return nil, err
	}
	order, err := corr.Order()
	if err != nil {
		return nil, err
	}
	e.order = order
	if e.tree, err = corr.treeifyChecked(model, e.Inputs); err != nil {
		return nil, err
	}
	for u := range e.tree.Slots {
		e.slotOrder = append(e.slotOrder, u)
	}
	sort.Strings(e.slotOrder)
	e.shapes = map[string]*shaped{}
	e.works = map[string]unionWork{}
	e.unionPlans = map[string]*circopt.Plan{}
	e.unionMemos = map[string]*unionMemo{}
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
	// slab backs the vectors when they were drawn by range (Release).
	slab []int
}

// Release hands s's index vectors back for later scrubs to draw into, and
// empties s: a loop of scrubs that releases each one draws into memory it
// already touched instead of fresh pages every time. s must not be used
// after (its vectors will be overwritten); releasing is optional.
func (s *Samples) Release() {
	if s.slab != nil {
		indexSlabs.put(s.slab)
		s.slab = nil
	}
	s.Ref, s.Datum, s.Other, s.Random = nil, nil, nil, nil
}

// indexSlabs recycles released samples' vectors (getIndexSlab): up to 4
// slabs and 256 MiB.
var indexSlabs = freeList[int]{max: 4, maxBytes: 256 << 20}

// getIndexSlab is a slice of n ints, recycled when one big enough was
// released; its contents are garbage.
func getIndexSlab(n int) []int { return indexSlabs.get(n) }

// NewRand is a math/rand generator seeded from seed, for callers that
// make synthetic data (tests, examples); scrubs draw through Draws.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Sample draws n reference examples and everything the hypothesis needs,
// in the order doc.go states, each vector from its own stream of the
// seed's Draws.
func (e *Experiment) Sample(n int, seed uint64) (*Samples, error) {
	if n < 1 {
		return nil, fmt.Errorf("need at least one sample, got %d", n)
	}
	root := NewDraws(seed)
	s := &Samples{Seed: seed, Datum: map[string][]int{}, Other: map[string][]int{}, Random: map[string][]int{}}
	refDraws := root.Stream()
	// the baseline draws come before the hypothesis's, so that one seed
	// gives the same original and random numbers under every hypothesis
	random := make([]*Draws, len(e.Inputs))
	for k := range random {
		random[k] = root.Stream()
	}
	if e.byRange() && n >= parallelDraws {
		return s, e.sampleByRange(s, n, root, refDraws, random)
	}
	s.Ref = e.Data.Uniform(n, refDraws)
	for k, in := range e.Inputs {
		s.Random[in] = e.Data.Uniform(n, random[k])
	}
	parent := e.Corr.parents()
	ps := pools{}
	for _, node := range e.order {
		from := s.Ref
		if p := parent[node]; p != nil {
			from = s.Datum[p.Name]
		}
		d, err := ps.sampleWithPool(node.Cond, from, e.Data, root.Stream())
		if err != nil {
			return nil, fmt.Errorf("interp node %q: %w", node.Name, err)
		}
		s.Datum[node.Name] = d
		if !node.IsLeaf() {
			o, err := ps.sampleWithPool(node.Other, d, e.Data, root.Stream())
			if err != nil {
				return nil, fmt.Errorf("interp node %q other inputs: %w", node.Name, err)
			}
			s.Other[node.Name] = o
		}
	}
	return s, nil
}

// byRange reports whether every sampler of the hypothesis draws position
// by position, so that a scrub's vectors can be drawn in ranges.
func (e *Experiment) byRange() bool {
	for _, node := range e.order {
		if _, ok := byRange(node.Cond); !ok {
			return false
		}
		if _, ok := byRange(node.Other); !ok && !node.IsLeaf() {
			return false
		}
	}
	return true
}

// sampleByRange is Sample's draw cut into ranges of positions, each drawn
// whole (reference, baselines, every node in order) by one goroutine: a
// position's draws depend on nothing outside it, and every vector takes
// the stream Sample's sequential path would give it, so the samples are
// the same. One fork per scrub instead of one per vector.
func (e *Experiment) sampleByRange(s *Samples, n int, root, refDraws *Draws, random []*Draws) error {
	type step struct {
		node                *InterpNode
		from, cond, other   []int
		condDraws, othDraws *Draws
	}
	vectors := 1 + len(e.Inputs)
	for _, node := range e.order {
		vectors++
		if !node.IsLeaf() {
			vectors++
		}
	}
	s.slab = getIndexSlab(vectors * n)
	used := 0
	next := func() []int {
		v := s.slab[used : used+n : used+n]
		used += n
		return v
	}
	s.Ref = next()
	for _, in := range e.Inputs {
		s.Random[in] = next()
	}
	parent := e.Corr.parents()
	steps := make([]step, len(e.order))
	for k, node := range e.order {
		st := step{node: node, cond: next(), condDraws: root.Stream()}
		st.from = s.Ref
		if p := parent[node]; p != nil {
			st.from = s.Datum[p.Name]
		}
		s.Datum[node.Name] = st.cond
		if !node.IsLeaf() {
			st.other, st.othDraws = next(), root.Stream()
			s.Other[node.Name] = st.other
		}
		steps[k] = st
	}
	var mu sync.Mutex
	var first error
	firstAt := n
	splitDraws(n, func(lo, hi int) {
		fail := func(err error) {
			mu.Lock()
			defer mu.Unlock()
			if lo < firstAt {
				first, firstAt = err, lo
			}
		}
		refDraws.fill(s.Ref[lo:hi], e.Data.Len(), lo)
		for k, in := range e.Inputs {
			random[k].fill(s.Random[in][lo:hi], e.Data.Len(), lo)
		}
		for _, st := range steps {
			c, _ := byRange(st.node.Cond)
			if err := c.drawRange(st.cond[lo:hi], st.from[lo:hi], e.Data, st.condDraws, lo); err != nil {
				fail(fmt.Errorf("interp node %q: %w", st.node.Name, err))
				return
			}
			if st.other != nil {
				o, _ := byRange(st.node.Other)
				if err := o.drawRange(st.other[lo:hi], st.cond[lo:hi], e.Data, st.othDraws, lo); err != nil {
					fail(fmt.Errorf("interp node %q other inputs: %w", st.node.Name, err))
					return
				}
			}
		}
	})
	return first
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

// Build makes the original, scrubbed and random circuits for s, with
// float64 bindings.
func (e *Experiment) Build(s *Samples) (*Batch, error) {
	sh, g, err := e.build(s, tensor.Float64, false)
	if err != nil {
		return nil, err
	}
	return &Batch{Original: sh.original, Scrubbed: sh.scrubbed, Random: sh.random, Bindings: g.binds}, nil
}

// shaped is what a scrub's circuits depend on — n, and which gathered
// inputs coincide — with the plans compiled for it; samples of the same
// shape (another seed, say) reuse both.
type shaped struct {
	original, scrubbed, random circuit.Circuit
	plans                      map[planKey]*circopt.Plan
	// unread are the gathers no circuit reads (gatherAll skips them)
	unread map[string]bool
}

type planKey struct {
	dt        tensor.DType
	maxMemory int64
}

// maxShapes bounds the circuits and plans an Experiment keeps.
const maxShapes = 16

// build gathers every input s uses, in dtype dt, and returns the circuits
// for its shape (made once per shape) with the gatherer holding their
// bindings. pooled float32 gathers take recycled buffers, which the caller
// hands back (g.recycle) once the bindings are no longer used.
func (e *Experiment) build(s *Samples, dt tensor.DType, pooled bool) (*shaped, *gatherer, error) {
	g := &gatherer{data: e.Data, dt: dt, pooled: pooled && dt == tensor.Float32, columnar: e.columnar, binds: map[string]*tensor.Tensor{}, seen: map[string][]gatheredVec{}}
	ref, random, slots, err := e.useAll(g, s)
	if err != nil {
		return nil, nil, err
	}
	key := g.sig.String()
	e.mu.Lock()
	sh := e.shapes[key]
	e.mu.Unlock()
	if g.pooled {
		var skip map[string]bool
		if sh != nil {
			skip = sh.unread
		}
		if err := g.gatherAll(skip); err != nil {
			g.recycle()
			return nil, nil, err
		}
	}
	if sh != nil {
		return sh, g, nil
	}
	sh = &shaped{plans: map[planKey]*circopt.Plan{}}
	if sh.original, err = e.withInputs(g.binds, ref); err != nil {
		return nil, nil, err
	}
	if sh.random, err = e.withInputs(g.binds, random); err != nil {
		return nil, nil, err
	}
	repl := map[circuit.Hash]circuit.Circuit{}
	circuit.Walk([]circuit.Circuit{e.tree.Circuit}, func(c circuit.Circuit) {
		tag, ok := c.(*circuit.Tag)
		if !ok || err != nil {
			return
		}
		if name, ok := slots[tag.UUID]; ok {
			var sym circuit.Circuit
			if sym, err = gatheredSymbol(name, g.binds[name]); err == nil {
				repl[c.Hash()] = sym
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if sh.scrubbed, err = circuit.ReplaceExpand(e.tree.Circuit, repl); err != nil {
		return nil, nil, err
	}
	sh.unread = unread([]circuit.Circuit{sh.original, sh.scrubbed, sh.random}, g.binds)
	e.mu.Lock()
	if len(e.shapes) >= maxShapes {
		clear(e.shapes)
	}
	e.shapes[key] = sh
	e.mu.Unlock()
	return sh, g, nil
}

// useAll names (and unless g.dry gathers) every input s uses: the
// reference's, the random baseline's, then each slot's in slotOrder. The
// maps send an input (ref, random) or a slot's uuid to its Symbol's name.
func (e *Experiment) useAll(g *gatherer, s *Samples) (ref, random, slots map[string]string, err error) {
	fmt.Fprintf(&g.sig, "%d", len(s.Ref))
	ref, random, slots = map[string]string{}, map[string]string{}, map[string]string{}
	for _, in := range e.Inputs {
		if err := g.use(ref, in, in, s.Ref); err != nil {
			return nil, nil, nil, err
		}
	}
	for _, in := range e.Inputs {
		if err := g.use(random, in, in, s.Random[in]); err != nil {
			return nil, nil, nil, err
		}
	}
	for _, u := range e.slotOrder {
		sl := e.tree.Slots[u]
		if err := g.use(slots, u, sl.Input, s.SlotDatum(sl)); err != nil {
			return nil, nil, nil, err
		}
	}
	return ref, random, slots, nil
}

// shapeKey is s's batch shape, gathering nothing.
func (e *Experiment) shapeKey(s *Samples) (string, error) {
	g := &gatherer{data: e.Data, dry: true, seen: map[string][]gatheredVec{}}
	if _, _, _, err := e.useAll(g, s); err != nil {
		return "", err
	}
	return g.sig.String(), nil
}

// gatherer names each distinct (input, datum vector) of one scrub
// INPUT@k, k counting the input's distinct vectors in the order they are
// used, so that equal vectors give one Symbol (CSE shares everything
// computed from it) and the names depend only on which vectors coincide.
type gatherer struct {
	data   *Dataset
	dt     tensor.DType
	pooled bool
	dry    bool // name only: gather nothing
	// columnar inputs' pooled gathers are laid out column by column
	columnar map[string]bool
	bufs     [][]float32 // pooled buffers behind binds
	binds    map[string]*tensor.Tensor
	seen     map[string][]gatheredVec
	sig      strings.Builder // the names in use order: the batch's shape
	todo     []pendingGather // pooled gathers named, not yet gathered
}

type gatheredVec struct {
	idx  []int
	name string
}

// use records in into[key] the Symbol name for input's rows at idx,
// gathering them the first time the vector is seen. Vectors are compared
// whole: two independent draws differ within the first few entries, so
// the scan is cheap, and equal ones must be compared in full anyway.
func (g *gatherer) use(into map[string]string, key, input string, idx []int) error {
	name := ""
	for _, v := range g.seen[input] {
		if slices.Equal(v.idx, idx) {
			name = v.name
			break
		}
	}
	if name == "" {
		name = input + "@" + strconv.Itoa(len(g.seen[input]))
		switch {
		case g.dry:
		case g.pooled: // gathered all together (gatherAll)
			g.todo = append(g.todo, pendingGather{name, input, idx})
		default:
			t, err := g.data.Gather(input, idx, g.dt)
			if err != nil {
				return err
			}
			g.binds[name] = t
		}
		g.seen[input] = append(g.seen[input], gatheredVec{idx, name})
	}
	into[key] = name
	g.sig.WriteByte(0)
	g.sig.WriteString(name)
	return nil
}

// recycle returns the pooled buffers: the bindings are dead.
func (g *gatherer) recycle() {
	for _, b := range g.bufs {
		putF32(b)
	}
	g.bufs = nil
}

// gatheredSymbol is the Symbol bound to a gathered input, [n, ...].
func gatheredSymbol(name string, t *tensor.Tensor) (circuit.Circuit, error) {
	return circuit.NewSymbol(t.Shape(), slotUUID("gather", name, ""), name)
}

// withInputs is the model with each input replaced by its gathered Symbol.
func (e *Experiment) withInputs(binds map[string]*tensor.Tensor, names map[string]string) (circuit.Circuit, error) {
	repl := map[circuit.Hash]circuit.Circuit{}
	for _, in := range e.Inputs {
		g, err := gatheredSymbol(names[in], binds[names[in]])
		if err != nil {
			return nil, err
		}
		repl[e.symbols[in].Hash()] = g
	}
	return circuit.ReplaceExpand(e.Model, repl)
}

// plan is sh's compiled plan for key, compiled once.
func (e *Experiment) plan(sh *shaped, key planKey) (*circopt.Plan, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := sh.plans[key]; ok {
		return p, nil
	}
	p, err := circopt.Compile([]circuit.Circuit{sh.original, sh.scrubbed, sh.random}, circopt.Options{DType: key.dt, MaxMemory: key.maxMemory})
	if err != nil {
		return nil, err
	}
	sh.plans[key] = p
	return p, nil
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
	// values are the root per sample on the original, scrubbed and random
	// inputs, as the run computed them (float32 by default): Values
	// converts them on demand, so a scrub that only needs the summaries
	// allocates no per-sample float64s.
	values [3]*tensor.Tensor
}

// Values is the root per sample on the original, scrubbed and random
// inputs, in reference order, as new slices.
func (r *Result) Values() (original, scrubbed, random []float64) {
	return r.values[0].Float64s(), r.values[1].Float64s(), r.values[2].Float64s()
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
//
// Run evaluates one of two ways, whichever does less work (union.go,
// unioncost.go): directly, the model on each distinct gathered copy of
// the inputs (n rows each), or as RunMany does, every subtree that reads
// one index vector computed once on the union U of the sampled rows and
// gathered. The choice depends only on the batch's shape, n, |U| and the
// dataset's size, never on timing, so the same samples always take the
// same way; both give the same values to rounding.
func (e *Experiment) Run(s *Samples, opts RunOptions) (*Result, error) {
	if r := e.Model.Rank(); r != 0 {
		return nil, fmt.Errorf("the model's root %s has shape %v; scrubbing needs one number per example (a scalar root)", circuit.Label(e.Model), e.Model.Shape())
	}
	union, err := e.useUnion(s)
	if err != nil {
		return nil, err
	}
	if union {
		return e.runUnion(s, opts)
	}
	return e.runDirect(s, opts)
}

// runDirect evaluates the model on each distinct gathered input copy.
func (e *Experiment) runDirect(s *Samples, opts RunOptions) (*Result, error) {
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	sh, g, err := e.build(s, dt, true)
	if err != nil {
		return nil, err
	}
	// the values below are copies, so the gathered inputs die with this call
	defer g.recycle()
	binds := g.binds
	var vals []*tensor.Tensor
	if opts.Naive {
		vals, err = circuit.EvaluateAll([]circuit.Circuit{sh.original, sh.scrubbed, sh.random}, circuit.EvalOptions{DType: dt, Bindings: binds})
	} else {
		var p *circopt.Plan
		if p, err = e.plan(sh, planKey{dt, opts.MaxMemory}); err == nil {
			vals, _, err = p.Run(binds)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("evaluating the scrub: %w", err)
	}
	return newResult(s, vals), nil
}

// columnarInputs are the rank-1 inputs (per example) that the model reads
// only through Index nodes picking one element: each use reads one column
// of the gathered [n, r] batch, which a column-by-column layout makes
// contiguous. Inputs read whole (matrix products, elementwise ops over the
// row) keep the row layout.
func columnarInputs(model circuit.Circuit, symbols map[string]*circuit.Symbol) map[string]bool {
	byHash := map[circuit.Hash]string{}
	out := map[string]bool{}
	for name, s := range symbols {
		if len(s.Shape()) == 1 && s.Shape()[0] > 1 {
			byHash[s.Hash()] = name
			out[name] = true
		}
	}
	circuit.Walk([]circuit.Circuit{model}, func(c circuit.Circuit) {
		for _, ch := range c.Children() {
			name, ok := byHash[ch.Hash()]
			if !ok {
				continue
			}
			ix, isIndex := c.(*circuit.Index)
			if !isIndex || len(ix.Idx) != 1 || ix.Idx[0].Kind != circuit.IndexInt {
				out[name] = false
			}
		}
	})
	for name, ok := range out {
		if !ok {
			delete(out, name)
		}
	}
	return out
}
