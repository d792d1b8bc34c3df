package ir

import "fmt"

// RewriteFunc decides what replaces v when rebuilding a program. operands
// are v's operands already mapped to ids in b. Return (id, true, nil) to
// make id (any value added to b) stand for v, or (_, false, nil) to copy v
// onto the mapped operands unchanged.
type RewriteFunc func(b *Builder, v *Value, operands []int) (id int, replaced bool, err error)

// Rebuild makes a new program by visiting p's values in order and applying
// f (nil copies everything). Ids are renumbered densely from 0 in the new
// program; outputs follow their values; the constant table is carried over
// (Build keeps only constants still referenced). Errors name the value.
func Rebuild(p *Program, f RewriteFunc) (*Program, error) {
	b := NewBuilder()
	for h, t := range p.Consts {
		b.AddConstTensor(h, t)
	}
	m := make(map[int]int, len(p.Values))
	for _, v := range p.Values {
		ops := make([]int, len(v.Operands))
		for i, o := range v.Operands {
			n, ok := m[o]
			if !ok {
				return nil, fmt.Errorf("rebuild: %v: operand %%%d is not defined earlier", v, o)
			}
			ops[i] = n
		}
		var id int
		replaced := false
		var err error
		if f != nil {
			id, replaced, err = f(b, v, ops)
			if err != nil {
				return nil, fmt.Errorf("rebuild: %v: %w", v, err)
			}
		}
		if !replaced {
			if id, err = b.Copy(v, ops...); err != nil {
				return nil, fmt.Errorf("rebuild: %v: %w", v, err)
			}
		} else if b.Value(id) == nil {
			return nil, fmt.Errorf("rebuild: %v: replacement %%%d is not in the new program", v, id)
		}
		m[v.ID] = id
	}
	for _, o := range p.Outputs {
		n, ok := m[o.ID]
		if !ok {
			return nil, fmt.Errorf("rebuild: output %q: value %%%d is not defined", o.Name, o.ID)
		}
		if err := b.Output(o.Name, n); err != nil {
			return nil, fmt.Errorf("rebuild: %w", err)
		}
	}
	return b.Build(), nil
}

// Renumber returns p with ids 0..n-1 in program order.
func Renumber(p *Program) (*Program, error) { return Rebuild(p, nil) }

// Live returns the ids reachable backwards from the outputs: the values a
// dead-code pass keeps.
func (p *Program) Live() map[int]bool {
	live := map[int]bool{}
	var stack []int
	for _, o := range p.Outputs {
		if !live[o.ID] {
			live[o.ID] = true
			stack = append(stack, o.ID)
		}
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		v := p.Value(id)
		if v == nil {
			continue
		}
		for _, o := range v.Operands {
			if !live[o] {
				live[o] = true
				stack = append(stack, o)
			}
		}
	}
	return live
}

// LastUse maps each value id to the position in p.Values of its last user
// (len(p.Values) for outputs, its own position if never used): the
// liveness the runtime and the memory planner both rely on.
func (p *Program) LastUse() map[int]int {
	last := make(map[int]int, len(p.Values))
	for i, v := range p.Values {
		if _, ok := last[v.ID]; !ok {
			last[v.ID] = i
		}
		for _, o := range v.Operands {
			last[o] = i
		}
	}
	for _, o := range p.Outputs {
		last[o.ID] = len(p.Values)
	}
	return last
}
