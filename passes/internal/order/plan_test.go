package order

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

var chainSizes = map[rune]int{'a': 10, 'b': 1000, 'c': 10, 'd': 1000, 'e': 10}

// The brief's chain ab,bc,cd,de->ae. Hand-worked: left to right costs
// 2abc + 2acd + 2ade = 3 × 2e5 = 6e5; the best tree is (ab·bc)(cd·de),
// 2abc + 2cde + 2ace = 2e5 + 2e5 + 2e3 = 4.02e5. Every tree must sum b and
// d against a 1000×10 operand, so no order is 100x below left to right
// here; the permuted listing below is where the naive order blows up.
func TestChainLiteral(t *testing.T) {
	p := spec(t, "ab,bc,cd,de->ae", chainSizes)
	got, err := Plan(p)
	if err != nil {
		t.Fatal(err)
	}
	mustValid(t, p, got)
	naive, err := LeftToRight(p)
	if err != nil {
		t.Fatal(err)
	}
	mustValid(t, p, naive)
	if naive.FLOPs != 6e5 {
		t.Errorf("LeftToRight FLOPs %g, want 6e5", naive.FLOPs)
	}
	if got.FLOPs != 4.02e5 || got.MaxIntermediate != 100 || got.Method != "dp" {
		t.Errorf("Plan = %s, want 4.02e5 flops, peak 100, dp", got)
	}
	want := "dp: (0,1)->ac [2.0e5 flops] (0,1)->ec [2.0e5 flops] (0,1)->ae [2.0e3 flops] total 4.0e5 flops, peak 100"
	if s := got.String(); s != want {
		t.Errorf("String:\n got %s\nwant %s", s, want)
	}
	if !slices.Equal(got.Steps[0].Summed, []int{1}) || !slices.Equal(got.Steps[1].Summed, []int{3}) || !slices.Equal(got.Steps[2].Summed, []int{2}) {
		t.Errorf("summed labels %v %v %v, want b, d, c", got.Steps[0].Summed, got.Steps[1].Summed, got.Steps[2].Summed)
	}
}

// Same einsum listed ab,cd,bc,de: left to right starts with the outer
// product ab·cd (1e8 elements, 1e8 flops), then sums b,c against bc (2e8),
// then 2ade = 2e5: 3.002e8 in all, ~747x the 4.02e5 that Plan finds.
func TestChainPermutedHundredfold(t *testing.T) {
	p := spec(t, "ab,cd,bc,de->ae", chainSizes)
	got, err := Plan(p)
	if err != nil {
		t.Fatal(err)
	}
	mustValid(t, p, got)
	naive, _ := LeftToRight(p)
	mustValid(t, p, naive)
	if naive.FLOPs != 3.002e8 || naive.MaxIntermediate != 1e8 {
		t.Errorf("LeftToRight = %s, want 3.002e8 flops, peak 1e8", naive)
	}
	if got.FLOPs != 4.02e5 {
		t.Errorf("Plan = %s, want 4.02e5", got)
	}
	if got.FLOPs*100 > naive.FLOPs {
		t.Errorf("Plan %g not 100x below LeftToRight %g", got.FLOPs, naive.FLOPs)
	}
	for _, f := range []func(Problem) (Path, error){Greedy, Exhaustive} {
		q, err := f(p)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, p, q)
		if q.FLOPs != 4.02e5 {
			t.Errorf("%s = %s, want 4.02e5", q.Method, q)
		}
	}
}

// A matrix chain with the textbook answer: A 10x100, B 100x5, C 5x50.
// (AB)C = 2(10·100·5) + 2(10·5·50) = 10000 + 5000 = 15000;
// A(BC) = 2(100·5·50) + 2(10·100·50) = 50000 + 100000 = 150000.
func TestMatrixChainTextbook(t *testing.T) {
	p := spec(t, "ab,bc,cd->ad", map[rune]int{'a': 10, 'b': 100, 'c': 5, 'd': 50})
	got, err := Plan(p)
	if err != nil {
		t.Fatal(err)
	}
	mustValid(t, p, got)
	if got.FLOPs != 15000 || len(got.Steps) != 2 || got.Steps[0].Left != 0 || got.Steps[0].Right != 1 {
		t.Errorf("Plan = %s, want (0,1) first, 15000 flops", got)
	}
	// Reordering the operands must not change the cost found.
	q := spec(t, "cd,ab,bc->ad", map[rune]int{'a': 10, 'b': 100, 'c': 5, 'd': 50})
	got2, _ := Plan(q)
	mustValid(t, q, got2)
	if got2.FLOPs != 15000 || got2.Steps[0].Left != 1 || got2.Steps[0].Right != 2 {
		t.Errorf("Plan permuted = %s, want (1,2) first, 15000 flops", got2)
	}
}

func TestEdgeCases(t *testing.T) {
	cases := []struct {
		name   string
		spec   string
		sizes  map[rune]int
		flops  float64
		steps  int
		final  []int
		method string
	}{
		{"no operands", "->", nil, 0, 0, []int{}, "single"},
		{"no operands, broadcast output", "->ab", nil, 0, 0, []int{}, "single"},
		{"one operand, transpose only", "ab->ba", map[rune]int{'a': 3, 'b': 4}, 0, 0, []int{1, 0}, "single"},
		{"one operand, diagonal only", "aa->a", map[rune]int{'a': 3}, 0, 0, []int{0}, "single"},
		// Diagonal counts once: cost = a·b = 12, result a.
		{"one operand, reduce", "aab->a", map[rune]int{'a': 3, 'b': 4}, 12, 1, []int{0}, "single"},
		{"one operand, full sum", "ab->", map[rune]int{'a': 3, 'b': 4}, 12, 1, []int{}, "single"},
		// c is output-only (broadcast): ab·b keeps a,b, no sum: 3·4.
		{"broadcast label", "ab,b->abc", map[rune]int{'a': 3, 'b': 4}, 12, 1, []int{0, 1}, "dp"},
		// a·∅ then ·a: best is (0,2) summing a (2·5) then the scalar product (1).
		{"scalars", "a,,a->", map[rune]int{'a': 5}, 11, 2, []int{}, "dp"},
		{"two scalars", ",->", nil, 1, 1, []int{}, "dp"},
		// Batch z kept throughout: 2·z·a·b·c = 2·2·3·4·5 = 240.
		{"batch matmul", "zab,zbc->zac", map[rune]int{'z': 2, 'a': 3, 'b': 4, 'c': 5}, 240, 1, []int{25, 0, 2}, "dp"},
		// Three copies of ab summed to a scalar: elementwise (12) then dot (24).
		{"duplicate operands", "ab,ab,ab->", map[rune]int{'a': 3, 'b': 4}, 36, 2, []int{}, "dp"},
		// Elementwise ab·ab->ab: 12, no summation.
		{"hadamard", "ab,ab->ab", map[rune]int{'a': 3, 'b': 4}, 12, 1, []int{0, 1}, "dp"},
		// Pure outer product a·b: 12.
		{"outer", "a,b->ab", map[rune]int{'a': 3, 'b': 4}, 12, 1, []int{0, 1}, "dp"},
		{"zero size", "ab,bc->ac", map[rune]int{'a': 0, 'b': 4, 'c': 5}, 0, 1, []int{0, 2}, "dp"},
		// Label only in one operand is summed in its first contraction: 2·a·b·c.
		{"dangling label", "ab,c->c", map[rune]int{'a': 2, 'b': 3, 'c': 4}, 48, 1, []int{2}, "dp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := spec(t, c.spec, c.sizes)
			for _, f := range []func(Problem) (Path, error){Plan, DP, Greedy, Exhaustive, LeftToRight} {
				got, err := f(p)
				if err != nil {
					t.Fatal(err)
				}
				mustValid(t, p, got)
				if got.Method == "left-to-right" {
					// Naive may cost more (scalars: (0,1) keeps a, 5+10 = 15).
					if got.FLOPs < c.flops {
						t.Errorf("left-to-right %g below the optimum %g", got.FLOPs, c.flops)
					}
					continue
				}
				if got.FLOPs != c.flops || len(got.Steps) != c.steps || !slices.Equal(got.Final, c.final) {
					t.Errorf("%s: got %s final %v, want %g flops, %d steps, final %v", got.Method, got, got.Final, c.flops, c.steps, c.final)
				}
			}
			got, _ := Plan(p)
			if got.Method != c.method {
				t.Errorf("Plan method %q, want %q", got.Method, c.method)
			}
		})
	}
}

func TestReductionStepShape(t *testing.T) {
	p := spec(t, "abc->ca", map[rune]int{'a': 2, 'b': 3, 'c': 4})
	got, err := Plan(p)
	if err != nil {
		t.Fatal(err)
	}
	mustValid(t, p, got)
	st := got.Steps[0]
	if st.Left != 0 || st.Right != -1 || !slices.Equal(st.Result, []int{2, 0}) || !slices.Equal(st.Summed, []int{1}) || st.Elements != 8 || st.FLOPs != 24 {
		t.Errorf("reduction step %+v", st)
	}
	if s := got.String(); s != "single: (0)->ca [2.4e1 flops] total 2.4e1 flops, peak 0" {
		t.Errorf("String %q", s)
	}
}

func TestInvalidProblems(t *testing.T) {
	cases := []struct {
		name string
		p    Problem
		want string
	}{
		{"missing size", Problem{Operands: []Operand{{Labels: []int{0, 1}}}, Sizes: map[int]int{0: 2}}, "operand 0: label 1 has no size"},
		{"negative size", Problem{Operands: []Operand{{Labels: []int{0}}, {Labels: []int{7}}}, Sizes: map[int]int{0: 2, 7: -1}}, "operand 1: label 7 has negative size -1"},
		{"negative cap", Problem{MemCap: -5}, "MemCap -5 is negative"},
	}
	for _, c := range cases {
		for _, f := range []func(Problem) (Path, error){Plan, DP, Greedy, Exhaustive, LeftToRight} {
			_, err := f(c.p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.want)
			}
		}
	}
	many := Problem{Sizes: map[int]int{0: 2}}
	for range DPMaxOperands + 1 {
		many.Operands = append(many.Operands, Operand{Labels: []int{0}})
	}
	if _, err := DP(many); err == nil {
		t.Error("DP accepted too many operands")
	}
	if _, err := Exhaustive(many); err == nil {
		t.Error("Exhaustive accepted too many operands")
	}
	got, err := Plan(many)
	if err != nil || got.Method != "greedy" {
		t.Errorf("Plan on %d operands: %v %v", len(many.Operands), got.Method, err)
	}
	mustValid(t, many, got)
}

// Sizes whose products overflow int64 and float64 must neither panic nor
// wrap: Elements saturate at MaxInt64, FLOPs go to +Inf.
func TestHugeSizes(t *testing.T) {
	p := Problem{Sizes: map[int]int{}}
	for i := range 6 {
		var ls []int
		for k := range 40 {
			l := i*40 + k
			ls = append(ls, l)
			p.Sizes[l] = 1 << 30
		}
		ls = append(ls, 1000+i, 1000+i+1)
		p.Sizes[1000+i] = 2
		p.Sizes[1000+i+1] = 2
		p.Operands = append(p.Operands, Operand{Labels: ls})
	}
	for k := range 40 { // the output is all of operand 0: 2^1200 elements
		p.Output = append(p.Output, k)
	}
	for _, f := range []func(Problem) (Path, error){Plan, Greedy, LeftToRight, DP} {
		got, err := f(p)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, p, got)
		if len(got.Steps) != 5 || !math.IsInf(got.FLOPs, 1) || got.Steps[4].Elements != math.MaxInt64 {
			t.Errorf("%s: %s", got.Method, got)
		}
	}
}

func TestFormatNames(t *testing.T) {
	p := spec(t, "ab,bc->ac", map[rune]int{'a': 2, 'b': 3, 'c': 4})
	got, _ := Plan(p)
	names := map[int]string{0: "batch", 1: "k", 2: "n"}
	s := got.Format(func(l int) string { return names[l] })
	if s != "dp: (0,1)->batch,n [4.8e1 flops] total 4.8e1 flops, peak 0" {
		t.Errorf("Format %q", s)
	}
	if letterName(60) != "{60}" || letterName(27) != "B" || letterName(-1) != "{-1}" {
		t.Error("letterName")
	}
	if shortFloat(1.5e-3) != "1.5e-3" || shortFloat(0) != "0" || shortFloat(math.Inf(1)) != "+Inf" {
		t.Errorf("shortFloat %q %q", shortFloat(1.5e-3), shortFloat(math.Inf(1)))
	}
	_ = errors.New
}
