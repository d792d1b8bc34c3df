package circuit

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// parseIndexText reads an Index or Scatter index. Besides FormatIndex's
// syntax it takes rust_circuit's tensor axis indices, "t<hash-prefix> [n]"
// (a rank-1 integer tensor named by a prefix of its hash, n its length):
// the tensor comes from the store, or with RandomTensors n positions are
// drawn uniformly below the child's axis size, seeded by RandomSeed(Seed,
// "index", the lower-cased prefix). As in rust_circuit, empty items are
// skipped, so "[0,]" is "[0]".
func (p *parser) parseIndexText(x string, child Circuit) ([]AxisIndex, error) {
	t := strings.TrimSpace(x)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return nil, fmt.Errorf("index %q must be written in brackets, like [0:2,3]", x)
	}
	var items []string
	depth, start := 0, 1
	for i := 1; i < len(t)-1; i++ {
		switch t[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("index %q has unbalanced brackets", x)
			}
		case ',':
			if depth == 0 {
				items = append(items, t[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("index %q has unbalanced brackets", x)
	}
	items = append(items, t[start:len(t)-1])
	var out []AxisIndex
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		var a AxisIndex
		var err error
		if it[0] == 't' {
			a, err = p.tensorAxisIndex(it, len(out), child)
		} else {
			a, err = parseAxisIndex(numericText(it))
		}
		if err != nil {
			return nil, fmt.Errorf("index %q: %w", x, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// tensorAxisIndex resolves one "t<hash-prefix> [n]" item for axis axis of child.
func (p *parser) tensorAxisIndex(it string, axis int, child Circuit) (AxisIndex, error) {
	body := strings.TrimSpace(it[1:])
	prefix, lenText, hasLen := strings.Cut(body, "[")
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if prefix == "" || strings.Trim(prefix, "0123456789abcdef") != "" {
		return AxisIndex{}, fmt.Errorf("tensor index %q: want t<hex hash prefix> [length]", it)
	}
	n := -1
	if hasLen {
		lt, ok := strings.CutSuffix(strings.TrimSpace(lenText), "]")
		if !ok {
			return AxisIndex{}, fmt.Errorf("tensor index %q: unclosed [", it)
		}
		v, err := parseSize(strings.TrimSpace(lt))
		if err != nil {
			return AxisIndex{}, fmt.Errorf("tensor index %q: %w", it, err)
		}
		n = v
	}
	var tt *tensor.Tensor
	var err error
	if p.opts.Store != nil {
		tt, _, err = p.opts.Store.Resolve(prefix)
	}
	if p.opts.Store != nil && !(p.opts.RandomTensors && errors.Is(err, ErrNotStored)) {
		if err != nil {
			return AxisIndex{}, fmt.Errorf("tensor index %q: %w", it, err)
		}
		if tt == nil || tt.Rank() != 1 {
			return AxisIndex{}, fmt.Errorf("tensor index %q: the stored tensor must have rank 1", it)
		}
		vals := tt.Float64s()
		if n >= 0 && len(vals) != n {
			return AxisIndex{}, fmt.Errorf("tensor index %q: the stored tensor has length %d, not %d", it, len(vals), n)
		}
		ps := make([]int64, len(vals))
		for i, v := range vals {
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return AxisIndex{}, fmt.Errorf("tensor index %q: element %d is %v, not an integer", it, i, v)
			}
			ps[i] = int64(v)
		}
		return AxisIndex{Kind: IndexTensor, Positions: ps}, nil
	}
	if !p.opts.RandomTensors {
		return AxisIndex{}, fmt.Errorf("tensor index %q needs a tensor store (-tensors DIR) or -random-tensors", it)
	}
	if n < 0 {
		return AxisIndex{}, fmt.Errorf("tensor index %q needs its length, like t%s [4], to be drawn at random", it, prefix)
	}
	if child == nil || axis >= child.Rank() {
		return AxisIndex{}, fmt.Errorf("tensor index %q addresses axis %d, past the input's rank", it, axis)
	}
	d := child.Shape()[axis]
	if n > 0 && d == 0 {
		return AxisIndex{}, fmt.Errorf("tensor index %q: cannot draw positions on an axis of size 0", it)
	}
	if err := p.drawRandom(n); err != nil {
		return AxisIndex{}, fmt.Errorf("tensor index %q: %w", it, err)
	}
	rng := rand.New(rand.NewPCG(RandomSeed(p.opts.Seed, "index", prefix), 0))
	ps := make([]int64, n)
	for i := range ps {
		ps[i] = int64(rng.IntN(d))
	}
	return AxisIndex{Kind: IndexTensor, Positions: ps}, nil
}
