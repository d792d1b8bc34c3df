package passes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
	"pgregory.net/rapid"
)

// The rules of batchGather, op by op: each program computes f(x) and
// f(x[idx]); where f treats the indexed axis row by row the second becomes
// an index op on the first (and f runs once), otherwise nothing changes.
// runPass checks every result against the reference runtime on random
// inputs, so a wrong firing fails on values, not just on shape.

const bgHeader = `%0 = input "x" : f64[6,4]
%1 = input "perm" : i64[6]
%2 = gather 0 %0 %1 : f64[6,4]
`

func TestBatchGatherFires(t *testing.T) {
	cases := []struct {
		name, body string
		op         ir.Op // f's op: computed once afterwards
	}{
		{"elementwise with a bias", `%3 = input "b" : f64[4]
%4 = add %0 %3 : f64[6,4]
%5 = add %2 %3 : f64[6,4]
output "clean" %4
output "patched" %5`, ir.OpAdd},
		{"einsum keeping the batch label", `%3 = input "w" : f64[4,5]
%4 = einsum "bd,dh->bh" %0 %3 : f64[6,5]
%5 = einsum "bd,dh->bh" %2 %3 : f64[6,5]
output "clean" %4
output "patched" %5`, ir.OpEinsum},
		{"einsum with the batch label moved", `%3 = input "w" : f64[4,5]
%4 = einsum "bd,dh->hb" %0 %3 : f64[5,6]
%5 = einsum "bd,dh->hb" %2 %3 : f64[5,6]
output "clean" %4
output "patched" %5`, ir.OpEinsum},
		{"sum over a non-batch axis", `%3 = sum [1] %0 : f64[6]
%4 = sum [1] %2 : f64[6]
output "clean" %3
output "patched" %4`, ir.OpSum},
		{"softmax over the last axis", `%3 = softmax %0 : f64[6,4]
%4 = softmax %2 : f64[6,4]
output "clean" %3
output "patched" %4`, ir.OpSoftmax},
		{"reduce_max of rank 2", `%3 = reduce_max %0 : f64[6]
%4 = reduce_max %2 : f64[6]
output "clean" %3
output "patched" %4`, ir.OpReduceMax},
		{"permute keeping axis 0 somewhere", `%3 = permute [1,0] %0 : f64[4,6]
%4 = permute [1,0] %2 : f64[4,6]
%5 = exp %3 : f64[4,6]
%6 = exp %4 : f64[4,6]
output "clean" %5
output "patched" %6`, ir.OpExp},
		{"later f(x) is found too", `%3 = tanh %2 : f64[6,4]
%4 = tanh %0 : f64[6,4]
output "patched" %3
output "clean" %4`, ir.OpTanh},
		{"select on another axis", `%3 = select 1 2 %0 : f64[6]
%4 = select 1 2 %2 : f64[6]
%5 = relu %3 : f64[6]
%6 = relu %4 : f64[6]
output "clean" %5
output "patched" %6`, ir.OpRelu},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parseIR(t, bgHeader+c.body)
			before := countOps(p, c.op)
			q := runPass(t, batchGather, p)
			if got := countOps(q, c.op); got != before-1 {
				t.Fatalf("%s: %d %s values after, want %d:\n%s", c.name, got, c.op, before-1, q)
			}
		})
	}
}

// TestBatchGatherChain: a whole MLP on x[perm] becomes one gather of the
// MLP on x, through einsum, bias add, relu and the second einsum.
func TestBatchGatherChain(t *testing.T) {
	p := parseIR(t, bgHeader+`%3 = input "w1" : f64[4,8]
%4 = input "b1" : f64[8]
%5 = input "w2" : f64[8,4]
%6 = einsum "bd,dh->bh" %0 %3 : f64[6,8]
%7 = add %6 %4 : f64[6,8]
%8 = relu %7 : f64[6,8]
%9 = einsum "bh,hd->bd" %8 %5 : f64[6,4]
%10 = einsum "bd,dh->bh" %2 %3 : f64[6,8]
%11 = add %10 %4 : f64[6,8]
%12 = relu %11 : f64[6,8]
%13 = einsum "bh,hd->bd" %12 %5 : f64[6,4]
output "clean" %9
output "resampled" %13`)
	q := runPass(t, batchGather, p)
	wantIR(t, q, `%0 = input "x" : f64[6,4]
%1 = input "perm" : i64[6]
%2 = input "w1" : f64[4,8]
%3 = input "b1" : f64[8]
%4 = input "w2" : f64[8,4]
%5 = einsum "bd,dh->bh" %0 %2 : f64[6,8]
%6 = add %5 %3 : f64[6,8]
%7 = relu %6 : f64[6,8]
%8 = einsum "bh,hd->bd" %7 %4 : f64[6,4]
%9 = gather 0 %8 %1 : f64[6,4]
output "clean" %8
output "resampled" %9`)
}

// TestBatchGatherMustNotFire: f mixes rows, or the operands are not
// indexed alike, or f(x) is not computed: the program is left as it is.
func TestBatchGatherMustNotFire(t *testing.T) {
	cases := []struct{ name, body string }{
		{"sum over the batch axis", `%3 = sum [0] %0 : f64[4]
%4 = sum [0] %2 : f64[4]
output "clean" %3
output "patched" %4`},
		{"mean over the batch via einsum", `%3 = einsum "ab->b" %0 : f64[4]
%4 = einsum "ab->b" %2 : f64[4]
output "clean" %3
output "patched" %4`},
		{"softmax over the batch axis", `%3 = permute [1,0] %0 : f64[4,6]
%4 = permute [1,0] %2 : f64[4,6]
%5 = softmax %3 : f64[4,6]
%6 = softmax %4 : f64[4,6]
output "clean" %5
output "patched" %6`},
		{"contracting the batch label", `%3 = input "y" : f64[6,4]
%4 = einsum "ab,ac->bc" %0 %3 : f64[4,4]
%5 = einsum "ab,ac->bc" %2 %3 : f64[4,4]
output "clean" %4
output "patched" %5`},
		{"an operand varying along the batch, not gathered", `%3 = input "y" : f64[6,4]
%4 = add %0 %3 : f64[6,4]
%5 = add %2 %3 : f64[6,4]
output "clean" %4
output "patched" %5`},
		{"two different permutations", `%3 = input "y" : f64[6,4]
%4 = input "perm2" : i64[6]
%5 = gather 0 %3 %4 : f64[6,4]
%6 = mul %0 %3 : f64[6,4]
%7 = mul %2 %5 : f64[6,4]
output "clean" %6
output "patched" %7`},
		{"f(x) never computed", `%3 = exp %2 : f64[6,4]
%4 = exp %0 : f64[6,4]
%5 = tanh %3 : f64[6,4]
output "clean" %4
output "patched" %5`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parseIR(t, bgHeader+c.body)
			q := runPass(t, batchGather, p)
			if c.name == "softmax over the batch axis" {
				// the permute commutes (the gather moves to axis 1); the
				// softmax, which normalises over that axis, must not.
				if countOps(q, ir.OpSoftmax) != 2 {
					t.Fatalf("\n%s", q)
				}
				return
			}
			if c.name == "f(x) never computed" {
				// exp commutes (exp(x) exists), tanh does not (tanh(x) is absent).
				if countOps(q, ir.OpExp) != 1 || countOps(q, ir.OpTanh) != 1 {
					t.Fatalf("\n%s", q)
				}
				return
			}
			if q.String() != p.String() {
				t.Fatalf("fired where f mixes rows:\nbefore:\n%s\nafter:\n%s", p, q)
			}
		})
	}
}

// TestBatchGatherSoftmaxOverSlicedAxis: a slice of the last axis does not
// commute with softmax (which normalises over it) but does with tanh.
func TestBatchGatherSoftmaxOverSlicedAxis(t *testing.T) {
	p := parseIR(t, `%0 = input "x" : f64[3,4]
%1 = tanh %0 : f64[3,4]
%2 = softmax %0 : f64[3,4]
%3 = slice [0,1] [3,3] %0 : f64[3,2]
%4 = softmax %3 : f64[3,2]
%5 = tanh %3 : f64[3,2]
output "a" %1
output "b" %2
output "c" %4
output "d" %5`)
	q := runPass(t, batchGather, p)
	if countOps(q, ir.OpSoftmax) != 2 || countOps(q, ir.OpTanh) != 1 {
		t.Fatalf("\n%s", q)
	}
}

// TestBatchGatherRandomChains: random chains of ops, some row-wise and
// some not, applied to x and to x[perm]; the pass keeps every value and
// removes work exactly when the whole chain is row-wise.
func TestBatchGatherRandomChains(t *testing.T) {
	type step struct {
		src      string // uses %IN, defines the type via OUT
		rowwise  bool
		outShape string
	}
	// every step maps f64[6,4] -> f64[6,4] so steps compose.
	steps := []step{
		{`relu %IN`, true, "[6,4]"},
		{`scale 2.5 %IN`, true, "[6,4]"},
		{`softmax %IN`, true, "[6,4]"},
		{`add %IN %B`, true, "[6,4]"},
		{`einsum "bd,de->be" %IN %W`, true, "[6,4]"},
		{`mul %IN %Y`, false, "[6,4]"},                // y varies along the batch
		{`einsum "bd,cd->bc" %IN %Z`, true, "[6,6]"},  // x[perm]·xᵀ = (x·xᵀ)[perm]: rows stay rows
		{`einsum "bd,be->de" %IN %Y`, false, "[4,4]"}, // contracts the batch
	}
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(rt, "n")
		var chain []step
		for i := 0; i < n; i++ {
			s := steps[rapid.IntRange(0, len(steps)-1).Draw(rt, fmt.Sprint("step", i))]
			if s.outShape != "[6,4]" && i < n-1 {
				s = steps[0]
			}
			chain = append(chain, s)
		}
		var sb strings.Builder
		sb.WriteString(bgHeader)
		sb.WriteString("%3 = input \"b\" : f64[4]\n%4 = input \"w\" : f64[4,4]\n%5 = input \"y\" : f64[6,4]\n")
		next := 6
		emit := func(in int) int {
			cur := in
			for _, s := range chain {
				line := strings.NewReplacer("%IN", fmt.Sprintf("%%%d", cur), "%B", "%3", "%W", "%4", "%Y", "%5", "%Z", "%0").Replace(s.src)
				fmt.Fprintf(&sb, "%%%d = %s : f64%s\n", next, line, s.outShape)
				cur = next
				next++
			}
			return cur
		}
		clean := emit(0)
		patched := emit(2)
		fmt.Fprintf(&sb, "output \"clean\" %%%d\noutput \"patched\" %%%d\n", clean, patched)
		p, err := ir.Parse("chain.ir", []byte(sb.String()), nil)
		if err != nil {
			rt.Fatal(err)
		}
		q, err := batchGather(p, &Context{})
		if err != nil {
			rt.Fatal(err)
		}
		if err := verifyErr("batchgather", q, true); err != nil { // unused inputs may stay
			rt.Fatalf("%v\n%s", err, q)
		}
		if err := equivalent(p, q, 1); err != nil {
			rt.Fatalf("%v\n%s\n%s", err, p, q)
		}
		all := true
		for _, s := range chain {
			all = all && s.rowwise
		}
		if all && len(q.Values) >= len(p.Values) {
			rt.Fatalf("a row-wise chain was not commuted:\n%s", q)
		}
		if !chain[0].rowwise && q.String() != p.String() {
			rt.Fatalf("fired on a first step that mixes rows:\n%s\n%s", p, q)
		}
	})
}
