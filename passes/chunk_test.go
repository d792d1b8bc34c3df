package passes

import (
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
)

// tuneChunks sets chunk's thresholds for a test: a region chunks when a
// value reaches minBytes, in chunks of about chunkBytes for its biggest.
func tuneChunks(t *testing.T, minBytes, chunkBytes int64) {
	old := chunkTune
	chunkTune.minBytes, chunkTune.chunkBytes = minBytes, chunkBytes
	t.Cleanup(func() { chunkTune = old })
}

// A layer norm and a projection per row chunk; the batch mean (a sum over
// the rows) reads the concat and is not chunked, nor is what reads it.
func TestChunkRowLocalRegion(t *testing.T) {
	tuneChunks(t, 1024, 256)
	p := parseIR(t, `
%0 = input "x" : f64[64,8]
%1 = input "w" : f64[8,4]
%2 = einsum "ab->a" %0 : f64[64]
%3 = scale -0.125 %2 : f64[64]
%4 = reshape %3 : f64[64,1]
%5 = add %0 %4 : f64[64,8]
%6 = einsum "ab,ab->a" %5 %5 : f64[64]
%7 = rsqrt %6 : f64[64]
%8 = einsum "ab,a->ab" %5 %7 : f64[64,8]
%9 = einsum "ab,bc->ac" %8 %1 : f64[64,4]
%10 = softmax %9 : f64[64,4]
%11 = einsum "ab->b" %10 : f64[4]
%12 = add %10 %11 : f64[64,4]
output "probs" %10
output "centered" %12
`)
	q := runPass(t, chunk, p)
	// rows of 8 float64: 64 bytes, 4 rows to a chunk, 16 chunks
	if n := countOps(q, ir.OpSoftmax); n != 16 {
		t.Fatalf("%d softmaxes, want one per chunk (16):\n%s", n, q)
	}
	// The centring add reads the batch mean, so it chunks in a second
	// round, reading the softmax's chunks themselves.
	if n := countOps(q, ir.OpConcat); n != 2 {
		t.Fatalf("%d concats, want 2 (the outputs):\n%s", n, q)
	}
	for _, v := range q.Values {
		if v.Op == ir.OpEinsum && strings.HasSuffix(v.Attrs.String("spec"), "->b") {
			continue
		}
		if v.Op != ir.OpInput && v.Op != ir.OpConcat && len(v.Type.Shape) > 0 && v.Type.Shape[0] == 64 {
			t.Fatalf("%v runs on every row at once:\n%s", v, q)
		}
		if v.Op == ir.OpSlice && q.Value(v.Operands[0]).Op == ir.OpConcat {
			t.Fatalf("%v slices a concat of chunks:\n%s", v, q)
		}
	}
	wantStable(t, chunk, q)
}

// A gather along the batch axis is row-local in its index: each chunk
// gathers its rows from the whole data.
func TestChunkGathersByIndexRows(t *testing.T) {
	tuneChunks(t, 1024, 256)
	p := parseIR(t, `
%0 = input "x" : f64[10,8]
%1 = input "i" : i64[64]
%2 = gather 0 %0 %1 : f64[64,8]
%3 = exp %2 : f64[64,8]
output "y" %3
`)
	q := runPass(t, chunk, p)
	if n := countOps(q, ir.OpGather); n != 16 {
		t.Fatalf("%d gathers, want one per chunk:\n%s", n, q)
	}
	for _, v := range q.Values {
		if v.Op == ir.OpSlice && q.Value(v.Operands[0]).Type.Shape[0] == 10 {
			t.Fatalf("%v slices the gathered data:\n%s", v, q)
		}
	}
}

// Small programs, and values that are views only, stay as they are.
func TestChunkLeavesSmallPrograms(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[64,8]
%1 = exp %0 : f64[64,8]
%2 = input "w" : f64[8]
%3 = broadcast %2 : f64[4096,1024,8]
output "y" %1
output "b" %3
`)
	q := runPass(t, chunk, p)
	if q.String() != p.String() {
		t.Fatalf("changed:\n%s", q)
	}
}

// Not row-local: the batch axis moved, summed, sliced or concatenated
// along; a region would have to read across chunks.
func TestChunkRowLocalRules(t *testing.T) {
	tuneChunks(t, 1, 64)
	for _, c := range []struct {
		line  string
		local bool
	}{
		{`%1 = permute [1,0] %0 : f64[8,64]`, false},
		{`%1 = permute [0,1] %0 : f64[64,8]`, true},
		{`%1 = einsum "ab->b" %0 : f64[8]`, false},
		{`%1 = einsum "ab->ba" %0 : f64[8,64]`, false},
		{`%1 = einsum "ab,ab->a" %0 %0 : f64[64]`, true},
		{`%1 = slice [1,0] [64,8] %0 : f64[63,8]`, false},
		{`%1 = slice [0,2] [64,8] %0 : f64[64,6]`, true},
		{`%1 = concat 0 %0 %0 : f64[128,8]`, false},
		{`%1 = concat 1 %0 %0 : f64[64,16]`, true},
		{`%1 = select 1 3 %0 : f64[64]`, true},
		{`%1 = reshape %0 : f64[64,2,4]`, true},
		{`%1 = reshape %0 : f64[32,16]`, false},
		{`%1 = softmax %0 : f64[64,8]`, true},
		{`%1 = sum [1] %0 : f64[64]`, true},
		{`%1 = sum [0] %0 : f64[8]`, false},
	} {
		p := parseIR(t, "%0 = input \"x\" : f64[64,8]\n"+c.line+"\n")
		v := p.Values[1]
		if _, got := rowLocal(p, v, 64); got != c.local {
			t.Errorf("%s: row-local %v, want %v", c.line, got, c.local)
		}
	}
}

// Random programs, chunked with tiny thresholds (chunks of a row or two):
// every chunked program verifies and computes the same values.
func TestPropertyChunk(t *testing.T) {
	tuneChunks(t, 16, 8)
	changed := 0
	for seed := range uint64(numRandomPrograms) {
		p, err := prune(randomProgram(seed))
		if err != nil {
			t.Fatal(err)
		}
		q, err := chunk(p, &Context{})
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, p)
		}
		if errs := ir.Verify(q); len(errs) > 0 {
			t.Fatalf("seed %d: %v\nbefore:\n%s\nafter:\n%s", seed, errs, p, q)
		}
		if err := equivalent(p, q, seed); err != nil {
			t.Fatalf("seed %d: %v\nbefore:\n%s\nafter:\n%s", seed, err, p, q)
		}
		if q.String() != p.String() {
			changed++
		}
	}
	if changed < numRandomPrograms/4 {
		t.Errorf("chunk changed only %d of %d random programs", changed, numRandomPrograms)
	}
}

// A contraction with a weight bigger than a chunk is not chunked: every
// chunk would pack the weight again.
func TestChunkLeavesBigWeights(t *testing.T) {
	tuneChunks(t, 1024, 1024)
	p := parseIR(t, `
%0 = input "x" : f64[64,8]
%1 = input "w" : f64[8,8]
%2 = einsum "ab,bc->ac" %0 %1 : f64[64,8]
%3 = input "big" : f64[8,64]
%4 = einsum "ab,bc->ac" %0 %3 : f64[64,64]
output "small" %2
output "big" %4
`)
	if _, ok := rowLocal(p, p.Value(2), 64); !ok {
		t.Errorf("%v: a 512-byte weight made it not row-local", p.Value(2))
	}
	if _, ok := rowLocal(p, p.Value(4), 64); ok {
		t.Errorf("%v: row-local with a 4 KB weight (chunks of 1 KB)", p.Value(4))
	}
}
