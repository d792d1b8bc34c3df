package scrub

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/tensor"
)

// evalWay is how Run evaluates: by the work rule, or forced.
type evalWay int

const (
	wayAuto   evalWay = 0
	wayDirect evalWay = 1
	wayUnion  evalWay = 2
)

// useUnion applies the work rule (unionWork.unionCheaper) to s, measuring
// its batch shape's work the first time the shape is seen.
func (e *Experiment) useUnion(s *Samples) (bool, error) {
	switch e.way {
	case wayDirect:
		return false, nil
	case wayUnion:
		return true, nil
	}
	key, err := e.shapeKey(s)
	if err != nil {
		return false, err
	}
	e.mu.Lock()
	w, ok := e.works[key]
	e.mu.Unlock()
	if !ok {
		b, err := newUnion([]Job{{e, s}})
		if err != nil {
			return false, err
		}
		if w, err = measureUnion(b); err != nil {
			return false, err
		}
		e.mu.Lock()
		if len(e.works) >= maxShapes {
			clear(e.works)
		}
		e.works[key] = w
		e.mu.Unlock()
	}
	return w.unionCheaper(len(s.Ref), e.Data.Len(), func() int { return e.unionSize(s) }), nil
}

// unionSize is |U|, the rows of every vector s's circuits read.
func (e *Experiment) unionSize(s *Samples) int {
	seen := make([]bool, e.Data.Len())
	n := 0
	count := func(v []int) {
		for _, i := range v {
			if !seen[i] {
				seen[i] = true
				n++
			}
		}
	}
	count(s.Ref)
	for _, in := range e.Inputs {
		count(s.Random[in])
	}
	for _, sl := range e.tree.Slots {
		count(s.SlotDatum(sl))
	}
	return n
}

// runUnion is RunMany on one job. Its circuits hold the gather positions,
// so its plan is compiled per set of samples (kept for a rerun of the same
// samples), where the direct plan serves every set of one shape.
func (e *Experiment) runUnion(s *Samples, opts RunOptions) (*Result, error) {
	if opts.Naive {
		rs, err := RunMany(context.Background(), []Job{{e, s}}, opts)
		if err != nil {
			return nil, err
		}
		return rs[0], nil
	}
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	b, pattern, err := e.unionFor(s)
	if err != nil {
		return nil, err
	}
	batched, binds, err := b.circuits(dt)
	defer b.recycle()
	if err != nil {
		return nil, err
	}
	e.keepUnion(pattern, b)
	h := sha256.New()
	fmt.Fprintf(h, "%d %d", dt, opts.MaxMemory)
	for _, c := range batched {
		ch := c.Hash()
		h.Write(ch[:])
	}
	key := string(h.Sum(nil))
	e.mu.Lock()
	p := e.unionPlans[key]
	e.mu.Unlock()
	if p == nil {
		if p, err = circopt.Compile(batched, circopt.Options{DType: dt, MaxMemory: opts.MaxMemory}); err != nil {
			return nil, fmt.Errorf("evaluating the scrub: %w", err)
		}
		e.mu.Lock()
		if len(e.unionPlans) >= maxShapes {
			clear(e.unionPlans)
		}
		e.unionPlans[key] = p
		e.mu.Unlock()
	}
	vals, _, err := p.Run(binds)
	if err != nil {
		return nil, fmt.Errorf("evaluating the scrub: %w", err)
	}
	return newResult(s, vals), nil
}
