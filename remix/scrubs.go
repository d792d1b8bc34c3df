package remix

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

// ScrubJob is one scrub to run: an experiment and the samples drawn for it.
type ScrubJob struct {
	Experiment *scrub.Experiment
	Samples    *scrub.Samples
}

// RunScrubs evaluates every job's original, scrubbed and random losses in
// one compiled plan and returns a scrub.Result per job, in order; it gives
// the numbers Experiment.Run gives job by job.
//
// Why it is fast: a scrub evaluates the model on many gathered copies of
// the dataset (one per distinct sampled index vector), and most of what it
// computes depends on one vector only. Every maximal subtree that reads a
// single index vector v (all its gathered inputs at the same rows) is a
// subtree of the model, so it equals that subtree computed on the union U
// of all rows any job samples, gathered at v's positions in U. So the
// model runs once on U, shared by every job and vector (42 per-position
// draws of one experiment, the reference of all of them), and only the
// parts that mix vectors run per job on n rows. ctx stops the evaluation.
//
// With opts.Naive the same circuits go through the reference evaluator
// (circuit.EvaluateAll, whose memo shares hash-equal subtrees), which
// cannot be stopped once started.
func RunScrubs(ctx context.Context, jobs []ScrubJob, opts scrub.RunOptions) ([]*scrub.Result, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	b := newScrubBatcher(jobs[0].Experiment.Data)
	var roots []circuit.Circuit // per example, three per job
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
		roots = append(roots, cs...)
	}
	binds, err := b.bindUnion(dt)
	if err != nil {
		return nil, err
	}
	batched := make([]circuit.Circuit, len(roots))
	for i, r := range roots {
		if batched[i], err = b.batch(r); err != nil {
			return nil, err
		}
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
	out := make([]*scrub.Result, len(jobs))
	for i, j := range jobs {
		r := &scrub.Result{N: len(j.Samples.Ref), Seed: j.Samples.Seed,
			OriginalValues: vals[3*i].Float64s(), ScrubbedValues: vals[3*i+1].Float64s(), RandomValues: vals[3*i+2].Float64s()}
		r.Original = scrub.Summarize(r.OriginalValues)
		r.Scrubbed = scrub.Summarize(r.ScrubbedValues)
		r.Random = scrub.Summarize(r.RandomValues)
		r.LossRecovered = (r.Random.Mean - r.Scrubbed.Mean) / (r.Random.Mean - r.Original.Mean)
		out[i] = r
	}
	return out, nil
}

// PrepareScrubs is scrub.Prepare on each hypothesis (n references drawn
// with seed, so every job shares them), two at a time: treeifying a
// hypothesis with many interp nodes is most of the work before the run.
func PrepareScrubs(ctx context.Context, hyps []*scrub.Hypothesis, model circuit.Circuit, ds *scrub.Dataset, n int, seed uint64) ([]ScrubJob, error) {
	jobs := make([]ScrubJob, len(hyps))
	errs := make([]error, len(hyps))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(hyps), 2) {
		wg.Go(func() {
			for i := range next {
				if errs[i] = ctx.Err(); errs[i] == nil {
					jobs[i].Experiment, jobs[i].Samples, errs[i] = scrub.Prepare(hyps[i], model, ds, n, seed)
				}
			}
		})
	}
	for i := range hyps {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first in order, whichever failed first
		}
	}
	return jobs, nil
}

// scrubBatcher turns scrubs into per-example circuits over one Symbol per
// (input, index vector), then into circuits over the union of the rows.
type scrubBatcher struct {
	ds    *scrub.Dataset
	vecs  map[string]int // index vector (as a string) -> id
	idx   [][]int        // by id
	canon map[string]*circuit.Symbol
	// syms are the per-vector Symbols: input and vector id by hash.
	syms map[circuit.Hash]symVec
	// key is a node's vector: an id, noVec (reads no input) or mixedVec.
	key    map[circuit.Hash]int
	lifted map[circuit.Hash]circuit.Circuit // canonical subtree -> on the union's rows
	union  []int                            // sorted rows of every vector
	pos    map[int]int                      // row -> position in union
	unionS map[string]circuit.Circuit       // input -> Symbol [len(union), ...]
}

func newScrubBatcher(ds *scrub.Dataset) *scrubBatcher {
	return &scrubBatcher{ds: ds, vecs: map[string]int{}, canon: map[string]*circuit.Symbol{},
		syms: map[circuit.Hash]symVec{}, key: map[circuit.Hash]int{}, lifted: map[circuit.Hash]circuit.Circuit{}}
}

type symVec struct {
	input string
	vec   int
}

const (
	noVec    = -1
	mixedVec = -2
)

func (b *scrubBatcher) vecID(idx []int) int {
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
func (b *scrubBatcher) symbol(in *circuit.Symbol, id int) (circuit.Circuit, error) {
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
	h := sha256.Sum256([]byte("circopt/remix/scrubs\x00" + name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// perExample is the job's original, scrubbed and random circuits, per
// example, each input occurrence a Symbol for its index vector.
func (b *scrubBatcher) perExample(ex *scrub.Experiment, s *scrub.Samples) ([]circuit.Circuit, error) {
	inputs := map[string]*circuit.Symbol{}
	for _, sym := range circuit.FreeSymbols(ex.Model) {
		inputs[sym.Name()] = sym
	}
	with := func(vec func(in string) []int) (circuit.Circuit, error) {
		repl := map[circuit.Hash]circuit.Circuit{}
		for _, in := range ex.Inputs {
			sym, err := b.symbol(inputs[in], b.vecID(vec(in)))
			if err != nil {
				return nil, err
			}
			repl[inputs[in].Hash()] = sym
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
			if sym, err = b.symbol(inputs[sl.Input], b.vecID(s.SlotDatum(sl))); err == nil {
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

// bindUnion gathers every input at the union of the rows all vectors use.
func (b *scrubBatcher) bindUnion(dt tensor.DType) (map[string]*tensor.Tensor, error) {
	seen := map[int]bool{}
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
	binds := map[string]*tensor.Tensor{}
	b.unionS = map[string]circuit.Circuit{}
	for name := range b.canon {
		t, err := b.ds.Gather(name, b.union, dt)
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
func (b *scrubBatcher) vecOf(c circuit.Circuit) int {
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

// batch is root over n examples: every maximal subtree reading one vector
// becomes that model subtree on the union's rows gathered at the vector's
// positions; what mixes vectors is rebuilt around them with a batch axis.
func (b *scrubBatcher) batch(root circuit.Circuit) (circuit.Circuit, error) {
	repl := map[circuit.Hash]circuit.Circuit{}
	var err error
	var cut func(c circuit.Circuit)
	done := map[circuit.Hash]bool{}
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
			repl[c.Hash()], err = b.gathered(c, k)
		}
	}
	cut(root)
	if err != nil {
		return nil, err
	}
	return circuit.ReplaceExpand(root, repl)
}

// gathered is c (reading only vector k) as the model's subtree on the
// union's rows, indexed at k's positions.
func (b *scrubBatcher) gathered(c circuit.Circuit, k int) (circuit.Circuit, error) {
	toCanon := map[circuit.Hash]circuit.Circuit{}
	circuit.Walk([]circuit.Circuit{c}, func(x circuit.Circuit) {
		if sv, ok := b.syms[x.Hash()]; ok {
			toCanon[x.Hash()] = b.canon[sv.input]
		}
	})
	canon, err := circuit.ReplaceExpand(c, toCanon)
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
