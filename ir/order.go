package ir

import (
	"container/heap"
	"fmt"
)

// SortTopological returns p with its values reordered so every operand is
// defined before use, keeping the original relative order wherever the
// dependencies allow (so an already ordered program comes back unchanged).
// Ids are kept. It runs in O((V+E) log V) — dominikbraun/graph's
// TopologicalSort is quadratic — and reports duplicate ids, undefined
// operands and cycles, naming a value involved.
func SortTopological(p *Program) (*Program, error) {
	pos := make(map[int]int, len(p.Values))
	for i, v := range p.Values {
		if _, dup := pos[v.ID]; dup {
			return nil, fmt.Errorf("%v: duplicate id %%%d", v, v.ID)
		}
		pos[v.ID] = i
	}
	pending := make([]int, len(p.Values)) // operands not yet placed, per position
	users := make([][]int, len(p.Values)) // positions of users, per position
	for i, v := range p.Values {
		for _, o := range v.Operands {
			j, ok := pos[o]
			if !ok {
				return nil, fmt.Errorf("%v: operand %%%d is not defined", v, o)
			}
			pending[i]++
			users[j] = append(users[j], i)
		}
	}
	ready := &intHeap{}
	for i := range p.Values {
		if pending[i] == 0 {
			heap.Push(ready, i)
		}
	}
	out := make([]*Value, 0, len(p.Values))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, p.Values[i])
		for _, u := range users[i] {
			if pending[u]--; pending[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(out) != len(p.Values) {
		for i, n := range pending {
			if n > 0 {
				return nil, fmt.Errorf("%v: on a dependency cycle or below one", p.Values[i])
			}
		}
	}
	return &Program{Values: out, Outputs: append([]Output(nil), p.Outputs...), Consts: p.Consts}, nil
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
