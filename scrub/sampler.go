package scrub

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// A Sampler draws a sampled dataset (n example indices) given a reference
// one: the datum for each reference example. It is rust_circuit's CondSampler.
type Sampler interface {
	// Sample draws one index per entry of ref from d, a stream of its
	// own (every call gets a fresh one).
	Sample(ref []int, ds *Dataset, d *Draws) ([]int, error)
	// EqClass says which reference datasets share a pool: equal classes
	// may reuse each other's draws.
	EqClass(ref []int, ds *Dataset) (string, error)
	// PoolOf is the sampler's pool annotation (Size 0: no pool).
	PoolOf() Pool
	String() string
}

// Pool lets samplers reuse draws: samplers with the same ID and the same
// description share Size slots per reference equivalence class. Size 1
// forces every such sampler to the same draw.
type Pool struct {
	Size int
	ID   string
}

// FuncSampler draws, for each reference example, an example uniformly from
// those whose Feature key equals the reference's (the standard causal
// scrubbing draw when Feature is what the interp node computes).
type FuncSampler struct {
	Name    string
	Feature func(ds *Dataset) ([]string, error) // one key per example of ds
	Pool    Pool

	mu     sync.Mutex
	groups map[*Dataset]*grouping // the feature's groups per dataset, computed once

	// columns, for AgreeOn's samplers, are the agreed-on columns: their
	// groups are cached on the Dataset, shared by every sampler (and
	// Experiment) agreeing on the same columns.
	columns []string
}

// grouping is a feature's partition of a dataset: the examples listed
// group by group (groups in sorted key order, members ascending), each
// group's start in that list (and the end, last), and each example's group.
// A draw reads one group id, two starts (a small table) and one member.
type grouping struct {
	members []int32
	// span is each example's group as members[start : start+size], packed
	// start<<32 | size: one load per draw instead of a group id and then
	// its bounds
	span []uint64
}

// AgreeOn is the FuncSampler whose feature is the named dataset columns.
func AgreeOn(columns ...string) *FuncSampler {
	cols := append([]string(nil), columns...)
	return &FuncSampler{
		Name:    "agree_on(" + strings.Join(cols, ",") + ")",
		Feature: func(ds *Dataset) ([]string, error) { return ds.RowKeys(cols) },
		columns: cols,
	}
}

func (s *FuncSampler) String() string { return s.Name }
func (s *FuncSampler) PoolOf() Pool   { return s.Pool }

func (s *FuncSampler) EqClass(ref []int, ds *Dataset) (string, error) {
	keys, err := s.Feature(ds)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, i := range ref {
		sb.WriteString(keys[i])
		sb.WriteByte(0)
	}
	return sb.String(), nil
}

// grouped computes the feature's groups on ds once: a dataset never
// changes, and the feature is a function of it.
func (s *FuncSampler) grouped(ds *Dataset) (*grouping, error) {
	if s.columns != nil {
		return ds.agreeGroups(s.columns)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.groups[ds]; ok {
		return g, nil
	}
	keys, err := s.Feature(ds)
	if err != nil {
		return nil, err
	}
	if len(keys) != ds.Len() {
		return nil, fmt.Errorf("%s: feature gave %d keys for %d examples", s.Name, len(keys), ds.Len())
	}
	g := groupKeys(keys)
	if s.groups == nil {
		s.groups = map[*Dataset]*grouping{}
	}
	s.groups[ds] = g
	return g, nil
}

// groupKeys partitions examples by key: group ids in sorted key order,
// members ascending.
func groupKeys(keys []string) *grouping {
	byKey := map[string][]int{}
	for i, k := range keys {
		byKey[k] = append(byKey[k], i)
	}
	order := make([]string, 0, len(byKey))
	for k := range byKey {
		order = append(order, k)
	}
	sort.Strings(order)
	g := &grouping{members: make([]int32, 0, len(keys)), span: make([]uint64, len(keys))}
	for _, k := range order {
		start, size := uint64(len(g.members)), uint64(len(byKey[k]))
		for _, i := range byKey[k] {
			g.span[i] = start<<32 | size
			g.members = append(g.members, int32(i))
		}
	}
	return g
}

func (s *FuncSampler) Sample(ref []int, ds *Dataset, d *Draws) ([]int, error) {
	g, err := s.grouped(ds)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(ref))
	base := d.take(len(ref))
	var mu sync.Mutex
	bad := len(ref)
	splitDraws(len(ref), func(lo, hi int) {
		if k := g.draw(out[lo:hi], ref[lo:hi], d, base+uint64(lo)); k >= 0 {
			mu.Lock()
			bad = min(bad, lo+k)
			mu.Unlock()
		}
	})
	if bad < len(ref) {
		return nil, s.outOfRange(ref[bad], ds)
	}
	return out, nil
}

func (s *FuncSampler) outOfRange(i int, ds *Dataset) error {
	return fmt.Errorf("%s: reference example %d out of range [0,%d)", s.Name, i, ds.Len())
}

// draw fills out[p] with a member of ref[p]'s group, chosen by the
// stream's number first+p. It stops at the first reference out of range
// and returns its position, else -1.
func (g *grouping) draw(out, ref []int, d *Draws, first uint64) int {
	out = out[:len(ref)]
	st := d.state(first)
	for p, i := range ref {
		if uint(i) >= uint(len(g.span)) {
			return p
		}
		sp := g.span[i]
		out[p] = int(g.members[int(sp>>32)+below(wymix(st), int(sp&0xffffffff))])
		st += wyP0
	}
	return -1
}

// drawRange is Sample's positions [lo, lo+len(ref)) for Experiment.Sample's
// parallel path: out[p] is what Sample's out[lo+p] would be.
func (s *FuncSampler) drawRange(out, ref []int, ds *Dataset, d *Draws, lo int) error {
	g, err := s.grouped(ds)
	if err != nil {
		return err
	}
	if k := g.draw(out, ref, d, uint64(lo)); k >= 0 {
		return s.outOfRange(ref[k], ds)
	}
	return nil
}

// UncondSampler draws uniformly, ignoring the reference.
type UncondSampler struct{ Pool Pool }

func (s *UncondSampler) String() string                          { return "uncond" }
func (s *UncondSampler) PoolOf() Pool                            { return s.Pool }
func (s *UncondSampler) EqClass([]int, *Dataset) (string, error) { return "", nil }
func (s *UncondSampler) Sample(ref []int, ds *Dataset, d *Draws) ([]int, error) {
	return ds.Uniform(len(ref), d), nil
}

func (s *UncondSampler) drawRange(out, _ []int, ds *Dataset, d *Draws, lo int) error {
	d.fill(out, ds.Len(), lo)
	return nil
}

// DefaultTogetherID groups every UncondTogether sampler made with it.
const DefaultTogetherID = "566ae005-4a34-4e37-9383-731e1a722ef2"

// UncondTogether draws uniformly once and reuses that draw for every
// sampler with the same id (a pool of size 1).
func UncondTogether(id string) *UncondSampler {
	return &UncondSampler{Pool: Pool{Size: 1, ID: id}}
}

// ExactSampler returns the reference itself.
type ExactSampler struct{}

func (ExactSampler) String() string                                { return "exact" }
func (ExactSampler) PoolOf() Pool                                  { return Pool{} }
func (ExactSampler) EqClass(ref []int, _ *Dataset) (string, error) { return fmt.Sprint(ref), nil }
func (ExactSampler) Sample(ref []int, _ *Dataset, _ *Draws) ([]int, error) {
	return append([]int(nil), ref...), nil
}

func (ExactSampler) drawRange(out, ref []int, _ *Dataset, _ *Draws, _ int) error {
	copy(out, ref)
	return nil
}

// rangeSampler is a sampler whose draw at position p depends only on the
// reference at p and its stream's number p: a vector can be drawn in
// ranges (Experiment.Sample's parallel path) and equal the whole draw.
// drawRange fills out (positions [lo, lo+len(out)) of the vector) from
// the matching range of the reference, reading d's numbers from lo on.
// Pooled samplers are not: a pool slot is chosen per whole vector.
type rangeSampler interface {
	Sampler
	drawRange(out, ref []int, ds *Dataset, d *Draws, lo int) error
}

// byRange reports whether s draws position by position (unpooled).
func byRange(s Sampler) (rangeSampler, bool) {
	r, ok := s.(rangeSampler)
	return r, ok && s.PoolOf().Size <= 0
}

// FixedOtherSampler returns a fixed dataset of the reference's length.
type FixedOtherSampler struct{ Other []int }

func (s *FixedOtherSampler) String() string { return "fixed" }
func (s *FixedOtherSampler) PoolOf() Pool   { return Pool{} }
func (s *FixedOtherSampler) EqClass(ref []int, _ *Dataset) (string, error) {
	return "", nil
}
func (s *FixedOtherSampler) Sample(ref []int, ds *Dataset, _ *Draws) ([]int, error) {
	if len(s.Other) != len(ref) {
		return nil, fmt.Errorf("fixed sampler holds %d examples, the reference has %d", len(s.Other), len(ref))
	}
	for _, i := range s.Other {
		if i < 0 || i >= ds.Len() {
			return nil, fmt.Errorf("fixed sampler: example %d out of range [0,%d)", i, ds.Len())
		}
	}
	return append([]int(nil), s.Other...), nil
}

// pools holds the draws of pooled samplers during one sampling run.
type pools map[string]map[string][][]int

// sampleWithPool draws through s's pool when it has one: a random slot of
// the pool for (sampler, reference class), filled lazily. d is the call's
// own stream: the slot is its first number, the sampler draws from a child.
func (ps pools) sampleWithPool(s Sampler, ref []int, ds *Dataset, d *Draws) ([]int, error) {
	p := s.PoolOf()
	if p.Size <= 0 {
		return s.Sample(ref, ds, d)
	}
	cls, err := s.EqClass(ref, ds)
	if err != nil {
		return nil, err
	}
	key := p.ID + "\x00" + s.String()
	if ps[key] == nil {
		ps[key] = map[string][][]int{}
	}
	slots := ps[key][cls]
	if slots == nil {
		slots = make([][]int, p.Size)
		ps[key][cls] = slots
	}
	k := d.IntN(len(slots))
	if slots[k] == nil {
		v, err := s.Sample(ref, ds, d.Stream())
		if err != nil {
			return nil, err
		}
		slots[k] = v
	}
	return append([]int(nil), slots[k]...), nil
}
