package match

import (
	"fmt"
	"strings"

	"github.com/circopt/circopt/circuit"
)

// memoKey identifies a (node, matcher state) pair: the unit of work of
// every walk in this package.
type memoKey struct {
	h circuit.Hash
	k string
}

// finder walks a circuit once per (node, state) pair in pre-order.
type finder struct {
	seen  map[memoKey]bool
	found map[circuit.Hash]bool
	out   []circuit.Circuit
	// paths, when non-nil, receives the stack at each first find.
	paths *[][]circuit.Circuit
	stack []circuit.Circuit
	// stopAtFirst ends the walk at the first find (AnyFound).
	stopAtFirst bool
}

// MaxWalkStates bounds the distinct (node, state) pairs one walk (Get,
// GetAll, GetPaths, AnyFound, GetAllPaths, Update, Expand) may evaluate.
// Walks are memoized, so this is far above what any real matcher reaches
// (nodes times a handful of states); a hostile matcher over a DAG with
// exponentially many paths gets a one-line error instead of exhausting
// memory.
const MaxWalkStates = 1 << 21

// walkStateLimit is MaxWalkStates, lowered by tests.
var walkStateLimit = MaxWalkStates

// tooManyStates is the error past walkStateLimit.
func tooManyStates(op string, m IterativeMatcher) error {
	return fmt.Errorf("match: %s: %s reaches more than %d (node, matcher state) pairs", op, m, walkStateLimit)
}

func newFinder() *finder {
	return &finder{seen: map[memoKey]bool{}, found: map[circuit.Hash]bool{}}
}

func (f *finder) walk(c circuit.Circuit, m IterativeMatcher) error {
	k := memoKey{c.Hash(), m.key()}
	if f.seen[k] {
		return nil
	}
	if len(f.seen) >= walkStateLimit {
		return tooManyStates("walk", m)
	}
	f.seen[k] = true
	r, err := m.Step(c)
	if err != nil {
		return err
	}
	if f.paths != nil {
		f.stack = append(f.stack, c)
		defer func() { f.stack = f.stack[:len(f.stack)-1] }()
	}
	if r.Found && !f.found[c.Hash()] {
		f.found[c.Hash()] = true
		f.out = append(f.out, c)
		if f.paths != nil {
			*f.paths = append(*f.paths, append([]circuit.Circuit(nil), f.stack...))
		}
		if f.stopAtFirst {
			return nil
		}
	}
	for i, ch := range c.Children() {
		if f.stopAtFirst && len(f.out) > 0 {
			return nil
		}
		if n := r.Child(i); n != nil {
			if err := f.walk(ch, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkArgs(op string, root circuit.Circuit, m IterativeMatcher) error {
	if root == nil {
		return fmt.Errorf("match: %s: nil circuit", op)
	}
	if m == nil {
		return fmt.Errorf("match: %s: nil matcher", op)
	}
	return nil
}

// Get returns the distinct nodes (by hash) that m finds in root, in the
// order a pre-order walk (children left to right) first finds them. Each
// (node, state) pair is evaluated once, so the cost is bounded by the number
// of distinct nodes times the number of distinct states reaching them, not
// by the number of paths.
func Get(root circuit.Circuit, m IterativeMatcher) ([]circuit.Circuit, error) {
	if err := checkArgs("Get", root, m); err != nil {
		return nil, err
	}
	f := newFinder()
	if err := f.walk(root, m); err != nil {
		return nil, err
	}
	return f.out, nil
}

// GetAll is Get over several roots at once: the distinct nodes m finds in
// any of them, in the order the roots' walks first find them. The roots
// share one memo, so roots that share structure (every prefix of a chain,
// say) cost their union, not the sum of their depths.
func GetAll(roots []circuit.Circuit, m IterativeMatcher) ([]circuit.Circuit, error) {
	f := newFinder()
	for _, root := range roots {
		if err := checkArgs("GetAll", root, m); err != nil {
			return nil, err
		}
		if err := f.walk(root, m); err != nil {
			return nil, err
		}
	}
	return f.out, nil
}

// GetUnique returns the one node m finds in root; finding none or several
// is an error that names the matcher (and the nodes found).
func GetUnique(root circuit.Circuit, m IterativeMatcher) (circuit.Circuit, error) {
	got, err := Get(root, m)
	if err != nil {
		return nil, err
	}
	switch len(got) {
	case 1:
		return got[0], nil
	case 0:
		return nil, fmt.Errorf("match: GetUnique: %s found nothing in %s", m, circuit.Label(root))
	}
	labels := make([]string, 0, 5)
	for i, c := range got {
		if i == 4 {
			labels = append(labels, "...")
			break
		}
		labels = append(labels, circuit.Label(c))
	}
	return nil, fmt.Errorf("match: GetUnique: %s found %d nodes in %s, want 1: %s", m, len(got), circuit.Label(root), strings.Join(labels, ", "))
}

// AnyFound reports whether m finds any node in root; the walk stops at the
// first find.
func AnyFound(root circuit.Circuit, m IterativeMatcher) (bool, error) {
	if err := checkArgs("AnyFound", root, m); err != nil {
		return false, err
	}
	f := newFinder()
	f.stopAtFirst = true
	if err := f.walk(root, m); err != nil {
		return false, err
	}
	return len(f.out) > 0, nil
}

// GetPaths returns one path per node that m finds, in Get's order: the
// nodes from root down to the found node (both included), along the first
// path of the pre-order walk that finds it. Cost as for Get.
func GetPaths(root circuit.Circuit, m IterativeMatcher) ([][]circuit.Circuit, error) {
	if err := checkArgs("GetPaths", root, m); err != nil {
		return nil, err
	}
	var paths [][]circuit.Circuit
	f := newFinder()
	f.paths = &paths
	if err := f.walk(root, m); err != nil {
		return nil, err
	}
	return paths, nil
}

// MaxAllPaths bounds GetAllPaths' output.
const MaxAllPaths = 1 << 20

// GetAllPaths returns every distinct root-to-node path along which m finds a
// node, in pre-order. Unlike the other walks this enumerates paths, and a DAG
// can have exponentially many (a chain of n nodes each adding the previous
// one twice has 2^n); branches that cannot lead to a find are pruned first,
// and more than MaxAllPaths paths is an error rather than an exhausted
// memory.
func GetAllPaths(root circuit.Circuit, m IterativeMatcher) ([][]circuit.Circuit, error) {
	if err := checkArgs("GetAllPaths", root, m); err != nil {
		return nil, err
	}
	e := &pathEnum{live: map[memoKey]bool{}, steps: map[memoKey]Result{}, m: m}
	if _, err := e.productive(root, m); err != nil {
		return nil, err
	}
	if err := e.enum(root, m); err != nil {
		return nil, err
	}
	return e.out, nil
}

type pathEnum struct {
	live  map[memoKey]bool // (node, state) can reach a find
	steps map[memoKey]Result
	stack []circuit.Circuit
	out   [][]circuit.Circuit
	m     IterativeMatcher // the caller's matcher, for messages
}

func (e *pathEnum) productive(c circuit.Circuit, m IterativeMatcher) (bool, error) {
	k := memoKey{c.Hash(), m.key()}
	if v, ok := e.live[k]; ok {
		return v, nil
	}
	if len(e.steps) >= walkStateLimit {
		return false, tooManyStates("GetAllPaths", e.m)
	}
	r, err := m.Step(c)
	if err != nil {
		return false, err
	}
	e.steps[k] = r
	live := r.Found
	for i, ch := range c.Children() {
		if n := r.Child(i); n != nil {
			l, err := e.productive(ch, n)
			if err != nil {
				return false, err
			}
			live = live || l
		}
	}
	e.live[k] = live
	return live, nil
}

func (e *pathEnum) enum(c circuit.Circuit, m IterativeMatcher) error {
	k := memoKey{c.Hash(), m.key()}
	if !e.live[k] {
		return nil
	}
	r := e.steps[k]
	e.stack = append(e.stack, c)
	defer func() { e.stack = e.stack[:len(e.stack)-1] }()
	if r.Found {
		if len(e.out) >= MaxAllPaths {
			return fmt.Errorf("match: GetAllPaths: %s finds more than %d paths in %s", e.m, MaxAllPaths, circuit.Label(e.stack[0]))
		}
		e.out = append(e.out, append([]circuit.Circuit(nil), e.stack...))
	}
	for i, ch := range c.Children() {
		if n := r.Child(i); n != nil {
			if err := e.enum(ch, n); err != nil {
				return err
			}
		}
	}
	return nil
}
