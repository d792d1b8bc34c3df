package match

import (
	"fmt"
	"sync"
	"testing"

	"github.com/circopt/circopt/circuit"
)

// The figure DAG: level 0 holds dagWidth scalars; node i of level l adds
// nodes i and i+1 (mod dagWidth) of level l-1; a root adds the top level.
// Every top node has 2^dagLevels paths down to the scalars, so the tree
// expansion from the root has dagWidth * 2^40 ≈ 2.7e15 paths, over
// (dagLevels+1)*dagWidth+1 = 100,041 nodes.
const (
	dagWidth  = 2440
	dagLevels = 40
)

var (
	bigDAGOnce sync.Once
	bigDAGRoot circuit.Circuit
	bigDAGErr  error
)

func bigDAG(tb testing.TB) circuit.Circuit {
	bigDAGOnce.Do(func() { bigDAGRoot, bigDAGErr = buildBigDAG() })
	if bigDAGErr != nil {
		tb.Fatal(bigDAGErr)
	}
	return bigDAGRoot
}

func buildBigDAG() (circuit.Circuit, error) {
	prev := make([]circuit.Circuit, dagWidth)
	for i := range prev {
		s, err := circuit.NewScalar(float64(i), nil, fmt.Sprintf("l0_%d", i))
		if err != nil {
			return nil, err
		}
		prev[i] = s
	}
	for l := 1; l <= dagLevels; l++ {
		cur := make([]circuit.Circuit, dagWidth)
		for i := range cur {
			// Every node is named: autonaming would build names as long as
			// the tree expansion.
			a, err := circuit.NewAdd(fmt.Sprintf("l%d_%d", l, i), prev[i], prev[(i+1)%dagWidth])
			if err != nil {
				return nil, err
			}
			cur[i] = a
		}
		prev = cur
	}
	return circuit.NewAdd("root", prev...)
}

// pathCount counts root-to-leaf paths by dynamic programming (not by walking
// them), to document the figure's claim.
func pathCount(c circuit.Circuit) uint64 {
	memo := map[circuit.Hash]uint64{}
	var rec func(c circuit.Circuit) uint64
	rec = func(c circuit.Circuit) uint64 {
		if v, ok := memo[c.Hash()]; ok {
			return v
		}
		var n uint64
		if len(c.Children()) == 0 {
			n = 1
		}
		for _, ch := range c.Children() {
			n += rec(ch)
		}
		memo[c.Hash()] = n
		return n
	}
	return rec(c)
}

func bumpScalar(c circuit.Circuit) (circuit.Circuit, error) {
	s := c.(*circuit.Scalar)
	return circuit.NewScalar(s.Value+1, s.Shape(), s.Name())
}

// TestDAGGetUpdate runs Get and Update over the figure DAG: finishing at
// all means paths are not expanded (2.7e15 of them); the times are
// BenchmarkGetDAG's and BenchmarkUpdateDAG's figures.
func TestDAGGetUpdate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100k nodes")
	}
	root := bigDAG(t)
	if n := circuit.CountNodes(root); n != (dagLevels+1)*dagWidth+1 {
		t.Fatalf("%d nodes", n)
	}
	if p := pathCount(root); p != dagWidth<<dagLevels {
		t.Fatalf("%d paths, want %d", p, uint64(dagWidth)<<dagLevels)
	}
	got := get(t, root, parse(t, `'l20_5' >> Scalar`))
	if len(got) != 21 || got[0].Name() != "l0_5" || got[20].Name() != "l0_25" {
		t.Errorf("found %d scalars: %q", len(got), names(got))
	}
	all := get(t, root, Kind(circuit.KindScalar))
	if len(all) != dagWidth {
		t.Errorf("found %d scalars, want %d", len(all), dagWidth)
	}

	calls := 0
	up := must(Update(root, Kind(circuit.KindScalar), func(c circuit.Circuit) (circuit.Circuit, error) {
		calls++
		return bumpScalar(c)
	}, UpdateOptions{}))
	if calls != dagWidth {
		t.Errorf("%d transform calls, want %d", calls, dagWidth)
	}
	// Every node was rebuilt; the value of the root moved by 2^40 per top node.
	if n := circuit.CountNodes(up); n != (dagLevels+1)*dagWidth+1 {
		t.Errorf("updated DAG has %d nodes", n)
	}
	leaf := must(GetUnique(up, Name("l0_7"))).(*circuit.Scalar)
	if leaf.Value != 8 {
		t.Errorf("l0_7 = %g, want 8", leaf.Value)
	}
	// A path-restricted update rebuilds only the affected cone.
	part := must(Update(root, parse(t, `'l20_5' >> Scalar`), bumpScalar, UpdateOptions{}))
	if a, b := must(GetUnique(part, Name("l20_5"))), must(GetUnique(root, Name("l20_5"))); circuit.Equal(a, b) {
		t.Errorf("l20_5 not rebuilt")
	}
	if a, b := must(GetUnique(part, Name("l20_4"))), must(GetUnique(root, Name("l20_4"))); !circuit.Equal(a, b) {
		t.Errorf("l20_4 rebuilt, but only l20_5's scalars were to change")
	}
}

// go test ./match -run '^$' -bench DAG -benchtime 5x
func BenchmarkGetDAG(b *testing.B) {
	root := bigDAG(b)
	m := parse(b, `'l20_5' >> Scalar`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := Get(root, m)
		if err != nil || len(got) != 21 {
			b.Fatal(len(got), err)
		}
	}
}

func BenchmarkUpdateDAG(b *testing.B) {
	root := bigDAG(b)
	m := Kind(circuit.KindScalar)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Update(root, m, bumpScalar, UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
