package ui

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

// Variant is one version of a model (a file, a patched copy) whose
// circuits the page shows as a tree. Variants are compared node by node,
// matched by name.
type Variant struct {
	Name  string
	Roots []circuit.Circuit
	// Bindings binds free Symbols by name or uuid, as circopt.Plan.Run.
	Bindings map[string]*tensor.Tensor
}

// node is a distinct circuit node of a variant (shared nodes appear once).
type node struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Shape    []int  `json:"shape"`
	Children []int  `json:"children"`
	Parents  int    `json:"parents"` // more than 1: a shared node
}

// variant is a Variant indexed for the API.
type variant struct {
	Variant
	nodes  []node
	byHash map[circuit.Hash]int
	circs  []circuit.Circuit // by node id
	byName map[string]int    // first node of each name
	roots  []int
	mu     sync.Mutex
	cache  map[int]*evalEntry

	allOnce sync.Once
	all     map[int]*tensor.Tensor // every non-Array node's value, by id (see evalAll)
}

// evalEntry is one node's evaluation, computed once.
type evalEntry struct {
	once sync.Once
	data []float64
	err  error
}

// index numbers the distinct nodes of v in pre-order, first occurrence
// first, as circopt print numbers them.
func index(v Variant) *variant {
	x := &variant{Variant: v, byHash: map[circuit.Hash]int{}, byName: map[string]int{}, cache: map[int]*evalEntry{}}
	var rec func(c circuit.Circuit) int
	rec = func(c circuit.Circuit) int {
		if id, ok := x.byHash[c.Hash()]; ok {
			x.nodes[id].Parents++
			return id
		}
		id := len(x.nodes)
		x.byHash[c.Hash()] = id
		x.nodes = append(x.nodes, node{ID: id, Name: c.Name(), Kind: c.Kind().String(), Shape: nonNil(c.Shape()), Parents: 1})
		x.circs = append(x.circs, c)
		if _, ok := x.byName[c.Name()]; !ok && c.Name() != "" {
			x.byName[c.Name()] = id
		}
		kids := make([]int, 0, len(c.Children()))
		for _, ch := range c.Children() {
			kids = append(kids, rec(ch))
		}
		x.nodes[id].Children = kids
		return id
	}
	for _, r := range v.Roots {
		id := rec(r)
		x.nodes[id].Parents--
		x.roots = append(x.roots, id)
	}
	return x
}

func nonNil(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// dims names a node's dimensions by its named axes where it has them.
func nodeDims(c circuit.Circuit) []Dim {
	dims := InferDims(c.Shape())
	for i, n := range c.NamedAxes() {
		if i >= 0 && i < len(dims) && n != "" {
			dims[i].Name = n
		}
	}
	// A named axis may collide with an inferred "d<i>": keep names unique.
	seen := map[string]bool{}
	for i := range dims {
		for seen[dims[i].Name] {
			dims[i].Name += "_" + strconv.Itoa(i)
		}
		seen[dims[i].Name] = true
	}
	return dims
}

// MaxEvalAll bounds, in elements, the values of a variant's nodes that
// the first evaluation computes together; a larger variant compiles each
// node alone, when it is asked for.
const MaxEvalAll = 1 << 26

// eval returns node id's value, computed once: an Array's is its own; any
// other node's comes from the variant's one compiled program (see evalAll)
// or, when that is too big or fails, from compiling the node alone.
func (v *variant) eval(id int, dt tensor.DType) ([]float64, error) {
	v.mu.Lock()
	e, ok := v.cache[id]
	if !ok {
		e = &evalEntry{}
		v.cache[id] = e
	}
	v.mu.Unlock()
	e.once.Do(func() {
		c := v.circs[id]
		if a, ok := c.(*circuit.Array); ok {
			e.data = a.Value.Float64s()
			return
		}
		if t := v.evalAll(dt)[id]; t != nil {
			e.data = t.Float64s()
			return
		}
		t, err := evalNode(c, v.Bindings, dt)
		if err != nil {
			e.err = fmt.Errorf("node %d %q: %w", id, c.Name(), err)
			return
		}
		e.data = t.Float64s()
	})
	return e.data, e.err
}

// evalAll compiles every node but the Arrays of v as the outputs of one
// program, once, and runs it: the first click pays for one compile and
// every later click is a cache hit. It gives nothing (and eval falls back
// to one node at a time) when the values exceed MaxEvalAll elements or
// some node cannot be evaluated (an unbound Symbol, say).
func (v *variant) evalAll(dt tensor.DType) map[int]*tensor.Tensor {
	v.allOnce.Do(func() {
		var cs []circuit.Circuit
		var ids []int
		total := 0.0
		for id, c := range v.circs {
			if c.Kind() == circuit.KindArray {
				continue
			}
			n := 1.0
			for _, d := range c.Shape() {
				n *= float64(d)
			}
			total += n
			cs = append(cs, c)
			ids = append(ids, id)
		}
		if total > MaxEvalAll || len(cs) == 0 {
			return
		}
		plan, err := circopt.Compile(cs, circopt.Options{DType: dt})
		if err != nil {
			return
		}
		outs, _, err := plan.Run(bindingsFor(cs, v.Bindings))
		if err != nil {
			return
		}
		v.all = make(map[int]*tensor.Tensor, len(ids))
		for i, id := range ids {
			v.all[id] = outs[i]
		}
	})
	return v.all
}

// evalNode compiles c alone and runs it.
func evalNode(c circuit.Circuit, bindings map[string]*tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	plan, err := circopt.Compile([]circuit.Circuit{c}, circopt.Options{DType: dt})
	if err != nil {
		return nil, err
	}
	outs, _, err := plan.Run(bindingsFor([]circuit.Circuit{c}, bindings))
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// bindingsFor picks, from bindings, those of the free Symbols of cs (by
// name or uuid): Plan.Run refuses inputs the program does not have.
func bindingsFor(cs []circuit.Circuit, bindings map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for _, s := range circuit.FreeSymbols(cs...) {
		for _, k := range []string{s.Name(), s.UUID} {
			if t, ok := bindings[k]; ok && k != "" {
				out[k] = t
			}
		}
	}
	return out
}

// MaxPaths caps the matched paths one /api/match answer lists.
const MaxPaths = 1000

// matchResult is the JSON answer of /api/match.
type matchResult struct {
	Found     []int   `json:"found"`
	Paths     [][]int `json:"paths"`
	Truncated bool    `json:"truncated,omitempty"`
}

// find runs a matcher over every root of v.
func (v *variant) find(m match.IterativeMatcher) (*matchResult, error) {
	res := &matchResult{Found: []int{}, Paths: [][]int{}}
	seen := map[int]bool{}
	for _, r := range v.Roots {
		paths, err := match.GetPaths(r, m)
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			ids := make([]int, len(p))
			for i, c := range p {
				ids[i] = v.byHash[c.Hash()]
			}
			last := ids[len(ids)-1]
			if !seen[last] {
				seen[last] = true
				res.Found = append(res.Found, last)
			}
			if len(res.Paths) < MaxPaths {
				res.Paths = append(res.Paths, ids)
			} else {
				res.Truncated = true
			}
		}
	}
	return res, nil
}
