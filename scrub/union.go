package scrub

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/internal/gang"
	"github.com/circopt/circopt/tensor"
)

// Job is one scrub to run: an experiment and the samples drawn for it.
type Job struct {
	Experiment *Experiment
	Samples    *Samples
}

// RunMany evaluates every job's original, scrubbed and random values in
// one compiled plan and returns a Result per job, in order; it gives the
// numbers Experiment.Run gives job by job (to rounding). Every job must
// draw from the same Dataset.
//
// Why it is fast: a scrub evaluates the model on many gathered copies of
// the dataset (one per distinct sampled index vector), and most of what it
// computes may depend on one vector only. Every maximal subtree that reads
// a single index vector v (all its gathered inputs at the same rows) is a
// subtree of the model, so it equals that subtree computed on the union U
// of all rows any job samples, gathered at v's positions in U. So what
// many vectors read runs once on U, shared by every job and vector, and
// only the parts that mix vectors, or that too few vectors read to pay for
// |U| rows (batch), run per job on n rows. ctx stops the evaluation.
//
// With opts.Naive the same circuits go through the reference evaluator
// (circuit.EvaluateAll, whose memo shares hash-equal subtrees), which
// cannot be stopped once started.
func RunMany(ctx context.Context, jobs []Job, opts RunOptions) ([]*Result, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	b, err := newUnion(jobs)
	if err != nil {
		return nil, err
	}
	batched, binds, err := b.circuits(dt)
	defer b.recycle()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var vals []*tensor.Tensor
	if opts.Naive {
		vals, err = circuit.EvaluateAll(batched, circuit.EvalOptions{DType: dt, Bindings: binds})
	} else {
		vals, err = circopt.EvaluateManyContext(ctx, batched, binds, circopt.Options{DType: dt, MaxMemory: opts.MaxMemory})
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, fmt.Errorf("evaluating the scrubs: %w", err)
	}
	out := make([]*Result, len(jobs))
	for i, j := range jobs {
		out[i] = newResult(j.Samples, vals[3*i:3*i+3])
	}
	return out, nil
}

// newResult summarizes a scrub's original, scrubbed and random values.
func newResult(s *Samples, vals []*tensor.Tensor) *Result {
	r := &Result{N: len(s.Ref), Seed: s.Seed, values: [3]*tensor.Tensor{vals[0], vals[1], vals[2]}}
	var sums [3]Summary
	gang.For(3, func(i int) { sums[i] = summarizeTensor(vals[i]) })
	r.Original, r.Scrubbed, r.Random = sums[0], sums[1], sums[2]
	r.LossRecovered = (r.Random.Mean - r.Scrubbed.Mean) / (r.Random.Mean - r.Original.Mean)
	return r
}

// newUnion makes every job's per-example circuits (three per job).
func newUnion(jobs []Job) (*unionBatcher, error) {
	b := newUnionBatcher(jobs[0].Experiment.Data)
	for i, j := range jobs {
		ex, s := j.Experiment, j.Samples
		if ex.Data != b.ds {
			return nil, fmt.Errorf("scrub %d: every scrub must draw from the same dataset", i)
		}
		if r := ex.Model.Rank(); r != 0 {
			return nil, fmt.Errorf("the model's root %s has shape %v; scrubbing needs one number per example (a scalar root)", circuit.Label(ex.Model), ex.Model.Shape())
		}
		cs, err := b.perExample(ex, s)
		if err != nil {
			return nil, fmt.Errorf("scrub %d: %w", i, err)
		}
		b.roots = append(b.roots, cs...)
	}
	return b, nil
}

// circuits are the roots over n examples each, and their bindings: each
// input gathered once, at the union of the rows.
func (b *unionBatcher) circuits(dt tensor.DType) ([]circuit.Circuit, map[string]*tensor.Tensor, error) {
	binds, err := b.bindUnion(dt)
	if err != nil {
		return nil, nil, err
	}
	batched := make([]circuit.Circuit, len(b.roots))
	for i, r := range b.roots {
		if batched[i], err = b.batch(r); err != nil {
			return nil, nil, err
		}
	}
	return batched, binds, nil
}

// unionBatcher turns scrubs into per-example circuits over one Symbol per
// (input, index vector), then into circuits over the union of the rows.
type unionBatcher struct {
	ds    *Dataset
	roots []circuit.Circuit // per example: original, scrubbed, random per job
	vecs  map[string]int    // index vector (as a string) -> id
	idx   [][]int           // by id
	canon map[string]*circuit.Symbol
	// syms are the per-vector Symbols: input and vector id by hash.
	syms map[circuit.Hash]symVec
	// key is a node's vector: an id, noVec (reads no input) or mixedVec.
	key    map[circuit.Hash]int
	lifted map[circuit.Hash]circuit.Circuit // canonical subtree -> on the union's rows
	union  []int                            // sorted rows of every vector
	pos    map[int]int                      // row -> position in union
	unionS map[string]circuit.Circuit       // input -> Symbol [len(union), ...]
	// canonHash is each one-vector node's model subtree (by hash); uses
	// counts the vectors that read each model subtree (countUses).
	canonHash map[circuit.Hash]circuit.Hash
	uses      map[circuit.Hash]int
	// bufs back the float32 union bindings, from the gather pool (recycle)
	bufs [][]float32
	// canonicalOf memoizes canonical; liftedByU holds lifted per |U| when
	// the batcher shares an Experiment's unionMemo.
	canonicalOf map[circuit.Hash]circuit.Circuit
	liftedByU   map[int]map[circuit.Hash]circuit.Circuit
}

// recycle returns the union bindings' buffers to the gather pool: the
// evaluation that read them is over.
func (b *unionBatcher) recycle() {
	for _, buf := range b.bufs {
		putF32(buf)
	}
	b.bufs = nil
}

func newUnionBatcher(ds *Dataset) *unionBatcher {
	return &unionBatcher{ds: ds, vecs: map[string]int{}, canon: map[string]*circuit.Symbol{},
		syms: map[circuit.Hash]symVec{}, key: map[circuit.Hash]int{}, lifted: map[circuit.Hash]circuit.Circuit{},
		canonicalOf: map[circuit.Hash]circuit.Circuit{}}
}

type symVec struct {
	input string
	vec   int
}

const (
	noVec    = -1
	mixedVec = -2
)

func (b *unionBatcher) vecID(idx []int) int {
	var k []byte
	for _, i := range idx {
		k = strconv.AppendInt(k, int64(i), 10)
		k = append(k, ',')
	}
	if id, ok := b.vecs[string(k)]; ok {
		return id
	}
	b.vecs[string(k)] = len(b.idx)
	b.idx = append(b.idx, idx)
	return len(b.idx) - 1
}

// symbol is the per-example Symbol standing for input at vector id.
func (b *unionBatcher) symbol(in *circuit.Symbol, id int) (circuit.Circuit, error) {
	name := in.Name() + "@v" + strconv.Itoa(id)
	s, err := circuit.NewSymbol(in.Shape(), batchUUID(name), name)
	if err != nil {
		return nil, err
	}
	b.syms[s.Hash()] = symVec{in.Name(), id}
	if c, ok := b.canon[in.Name()]; ok && c.Hash() != in.Hash() {
		return nil, fmt.Errorf("two different free Symbols are named %q", in.Name())
	}
	b.canon[in.Name()] = in
	return s, nil
}

// batchUUID is a stable uuid for a batcher Symbol's name.
func batchUUID(name string) string {
	// the prefix is the one this code had in package remix: the same
	// names keep the same uuids, so printed batches do not change
	h := sha256.Sum256([]byte("circopt/remix/scrubs\x00" + name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// perExample is the job's original, scrubbed and random circuits, per
// example, each input occurrence a Symbol for its index vector.
func (b *unionBatcher) perExample(ex *Experiment, s *Samples) ([]circuit.Circuit, error) {
	with := func(vec func(in string) []int) (circuit.Circuit, error) {
		repl := map[circuit.Hash]circuit.Circuit{}
		for _, in := range ex.Inputs {
			sym, err := b.symbol(ex.symbols[in], b.vecID(vec(in)))
			if err != nil {
				return nil, err
			}
			repl[ex.symbols[in].Hash()] = sym
		}
		return circuit.ReplaceExpand(ex.Model, repl)
	}
	orig, err := with(func(string) []int { return s.Ref })
	if err != nil {
		return nil, err
	}
	random, err := with(func(in string) []int { return s.Random[in] })
	if err != nil {
		return nil, err
	}
	tree := ex.Treeified()
	repl := map[circuit.Hash]circuit.Circuit{}
	circuit.Walk([]circuit.Circuit{tree.Circuit}, func(c circuit.Circuit) {
		tag, ok := c.(*circuit.Tag)
		if !ok || err != nil {
			return
		}
		if sl, ok := tree.Slots[tag.UUID]; ok {
			var sym circuit.Circuit
			if sym, err = b.symbol(ex.symbols[sl.Input], b.vecID(s.SlotDatum(sl))); err == nil {
				repl[c.Hash()] = sym
			}
		}
	})
	if err != nil {
		return nil, err
	}
	scrubbed, err := circuit.ReplaceExpand(tree.Circuit, repl)
	if err != nil {
		return nil, err
	}
	return []circuit.Circuit{orig, scrubbed, random}, nil
}

// unionRows sets union (the sorted rows of every vector) and pos.
func (b *unionBatcher) unionRows() {
	if b.pos != nil {
		return
	}
	seen := make([]bool, b.ds.Len())
	for _, v := range b.idx {
		for _, i := range v {
			if !seen[i] {
				seen[i] = true
				b.union = append(b.union, i)
			}
		}
	}
	slices.Sort(b.union)
	b.pos = make(map[int]int, len(b.union))
	for p, i := range b.union {
		b.pos[i] = p
	}
}

// bindUnion gathers every input at the union of the rows all vectors use.
func (b *unionBatcher) bindUnion(dt tensor.DType) (map[string]*tensor.Tensor, error) {
	b.unionRows()
	if b.liftedByU != nil { // lifted circuits read Symbols of |U| rows
		if b.liftedByU[len(b.union)] == nil {
			b.liftedByU[len(b.union)] = map[circuit.Hash]circuit.Circuit{}
		}
		b.lifted = b.liftedByU[len(b.union)]
	}
	binds := map[string]*tensor.Tensor{}
	b.unionS = map[string]circuit.Circuit{}
	for name := range b.canon {
		var t *tensor.Tensor
		var err error
		if dt == tensor.Float32 {
			var buf []float32
			t, buf, err = b.ds.gatherPooled(name, b.union, false)
			if buf != nil {
				b.bufs = append(b.bufs, buf)
			}
		} else {
			t, err = b.ds.Gather(name, b.union, dt)
		}
		if err != nil {
			return nil, err
		}
		u := name + "@rows"
		s, err := circuit.NewSymbol(t.Shape(), batchUUID(u), u)
		if err != nil {
			return nil, err
		}
		binds[u], b.unionS[name] = t, s
	}
	return binds, nil
}

// vecOf is c's vector: the one id every input below it reads, noVec when
// it reads none, mixedVec when it reads several.
func (b *unionBatcher) vecOf(c circuit.Circuit) int {
	h := c.Hash()
	if k, ok := b.key[h]; ok {
		return k
	}
	k := noVec
	if sv, ok := b.syms[h]; ok {
		k = sv.vec
	} else {
		for _, ch := range c.Children() {
			switch ck := b.vecOf(ch); {
			case ck == noVec:
			case k == noVec:
				k = ck
			case ck != k:
				k = mixedVec
			}
		}
	}
	b.key[h] = k
	return k
}

// cuts calls f on every maximal subtree of the roots that reads one
// vector (once per distinct subtree), with that vector.
func (b *unionBatcher) cuts(roots []circuit.Circuit, f func(c circuit.Circuit, k int) error) error {
	var err error
	done := map[circuit.Hash]bool{}
	var cut func(c circuit.Circuit)
	cut = func(c circuit.Circuit) {
		if err != nil || done[c.Hash()] {
			return
		}
		done[c.Hash()] = true
		switch k := b.vecOf(c); k {
		case noVec:
		case mixedVec:
			for _, ch := range c.Children() {
				cut(ch)
			}
		default:
			err = f(c, k)
		}
	}
	for _, r := range roots {
		cut(r)
	}
	return err
}

// batch is root over n examples. A subtree reading one vector is computed
// on the union's rows and gathered at the vector's positions when that
// costs no more rows than computing it per vector: when |U| <= n·uses, uses
// being how many vectors read the same model subtree. So the model's lower
// layers, which many vectors read, run once on U, while what only the
// reference reads (the original's top layers) runs on its n rows, not on
// U. What mixes vectors, or stays per vector, is rebuilt around them with a
// batch axis; an input kept per vector is a gather of its union rows.
func (b *unionBatcher) batch(root circuit.Circuit) (circuit.Circuit, error) {
	if b.uses == nil {
		if err := b.countUses(); err != nil {
			return nil, err
		}
	}
	repl := map[circuit.Hash]circuit.Circuit{}
	done := map[circuit.Hash]bool{}
	var err error
	var visit func(c circuit.Circuit)
	visit = func(c circuit.Circuit) {
		h := c.Hash()
		if err != nil || done[h] {
			return
		}
		done[h] = true
		k := b.vecOf(c)
		_, isInput := b.syms[h]
		switch {
		case k == noVec:
		case k >= 0 && (isInput || len(b.union) <= len(b.idx[k])*b.uses[b.canonHash[h]]):
			repl[h], err = b.gathered(c, k)
		default:
			for _, ch := range c.Children() {
				visit(ch)
			}
		}
	}
	visit(root)
	if err != nil {
		return nil, err
	}
	return circuit.ReplaceExpand(root, repl)
}

// countUses sets canonHash (each one-vector node's model subtree) and uses
// (how many vectors read each model subtree) over every root.
func (b *unionBatcher) countUses() error {
	b.canonHash = map[circuit.Hash]circuit.Hash{}
	memo := map[circuit.Hash]circuit.Circuit{}
	vecs := map[circuit.Hash]map[int]bool{}
	var canon func(x circuit.Circuit) (circuit.Circuit, error)
	canon = func(x circuit.Circuit) (circuit.Circuit, error) {
		h := x.Hash()
		if c, ok := memo[h]; ok {
			return c, nil
		}
		c := x
		if sv, ok := b.syms[h]; ok {
			c = b.canon[sv.input]
		} else if b.vecOf(x) != noVec {
			chs := x.Children()
			cs := make([]circuit.Circuit, len(chs))
			for i, ch := range chs {
				var err error
				if cs[i], err = canon(ch); err != nil {
					return nil, err
				}
			}
			var err error
			if c, err = x.WithChildren(cs); err != nil {
				return nil, err
			}
		}
		memo[h] = c
		if k := b.vecOf(x); k >= 0 {
			ch := c.Hash()
			b.canonHash[h] = ch
			if vecs[ch] == nil {
				vecs[ch] = map[int]bool{}
			}
			vecs[ch][k] = true
		}
		return c, nil
	}
	for _, r := range b.roots {
		if _, err := canon(r); err != nil {
			return err
		}
	}
	b.uses = make(map[circuit.Hash]int, len(vecs))
	for h, v := range vecs {
		b.uses[h] = len(v)
	}
	return nil
}

// canonical is c (reading only vector k) as the model's own subtree: each
// per-vector Symbol replaced by the model's input Symbol.
func (b *unionBatcher) canonical(c circuit.Circuit) (circuit.Circuit, error) {
	if cc, ok := b.canonicalOf[c.Hash()]; ok {
		return cc, nil
	}
	toCanon := map[circuit.Hash]circuit.Circuit{}
	circuit.Walk([]circuit.Circuit{c}, func(x circuit.Circuit) {
		if sv, ok := b.syms[x.Hash()]; ok {
			toCanon[x.Hash()] = b.canon[sv.input]
		}
	})
	cc, err := circuit.ReplaceExpand(c, toCanon)
	if err == nil {
		b.canonicalOf[c.Hash()] = cc
	}
	return cc, err
}

// gathered is c (reading only vector k) as the model's subtree on the
// union's rows, indexed at k's positions.
func (b *unionBatcher) gathered(c circuit.Circuit, k int) (circuit.Circuit, error) {
	canon, err := b.canonical(c)
	if err != nil {
		return nil, err
	}
	onRows, ok := b.lifted[canon.Hash()]
	if !ok {
		toRows := map[circuit.Hash]circuit.Circuit{}
		for in, s := range b.canon {
			toRows[s.Hash()] = b.unionS[in]
		}
		if onRows, err = circuit.ReplaceExpand(canon, toRows); err != nil {
			return nil, err
		}
		b.lifted[canon.Hash()] = onRows
	}
	pos := make([]int64, len(b.idx[k]))
	for j, i := range b.idx[k] {
		pos[j] = int64(b.pos[i])
	}
	ix := make([]circuit.AxisIndex, onRows.Rank())
	ix[0] = circuit.AxisIndex{Kind: circuit.IndexTensor, Positions: pos}
	for a := 1; a < len(ix); a++ {
		ix[a] = circuit.All()
	}
	return circuit.NewIndex("", ix, onRows)
}
