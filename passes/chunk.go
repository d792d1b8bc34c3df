package passes

import (
	"maps"
	"slices"

	"github.com/circopt/circopt/ir"
)

// chunk runs the part of a program that is computed row by row along a
// big leading batch axis in chunks of rows, one chunk after another, so
// each chunk's intermediates stay in cache instead of streaming every
// value through memory: a scrub's union of a few thousand examples makes
// values of hundreds of megabytes, each elementwise pass over them bound
// by memory bandwidth.
//
// For a batch size B, a value is row-local when row i of it (along axis 0,
// of size B) is computed from row i of its batched operands and all of its
// other operands (weights, broadcast along the batch): elementwise ops,
// einsums whose first output label is the first label of every operand
// that has it (and whose weights are at most a chunk's size: each chunk
// packs them again), row-wise ops, sums, permutes, reshapes, slices, selects,
// concats and scatters that keep axis 0 whole, gathers on other axes and
// gathers along axis 0 (their index is the batched operand, their data a
// weight). The region is the row-local values that depend on no value
// which itself depends on the region (so it runs as one block). Each chunk
// computes every region value on its rows, reading slices of the batched
// operands from outside; region values read from outside are the concat
// of their chunks. Rows are computed as before, so results keep their bits
// (a GEMM splits no K sum by rows).
//
// It applies to the batch size whose region holds the most bytes, when
// some region value is at least chunkMinBytes, then again to the next (a
// scrub's union, then its samples; or what reads a concat of the chunks of
// the same batch), until no region qualifies, at most chunkRounds times.
func chunk(p *ir.Program, ctx *Context) (*ir.Program, error) {
	done := map[int]bool{} // batch sizes whose region chunking left as it was
	for range chunkRounds {
		b, ok := chunkBatch(p, done)
		if !ok {
			break
		}
		q, err := chunkRegion(p, b)
		if err != nil {
			return nil, err
		}
		if q == p {
			done[b] = true
		}
		p = q
	}
	return p, nil
}

const (
	chunkRounds = 8
	// chunkMinBytes: a region chunks when one of its values is at least
	// this big (well past what a core's L2 holds; 16 MB left the transformer
	// heads scrub's 13.6 MB unchunked, 5% slower).
	chunkMinBytes = 8 << 20
	// chunkBytes is the size a chunk aims for its biggest value.
	chunkBytes = 2 << 20
	// chunkMaxChunks bounds the copies of the region.
	chunkMaxChunks = 256
)

// chunkTune lets tests chunk small programs: the thresholds in bytes.
var chunkTune = struct{ minBytes, chunkBytes int64 }{chunkMinBytes, chunkBytes}

// chunkBatch picks the batch size (not in done) whose region holds the
// most bytes, if some region value reaches chunkTune.minBytes.
func chunkBatch(p *ir.Program, done map[int]bool) (int, bool) {
	sizes := map[int]bool{} // leading sizes of values big enough to qualify
	for _, v := range p.Values {
		if len(v.Type.Shape) > 0 && v.Type.Shape[0] > 1 && !done[v.Type.Shape[0]] && v.Type.Bytes() >= chunkTune.minBytes {
			sizes[v.Type.Shape[0]] = true
		}
	}
	best, bestBytes := 0, int64(0)
	for _, b := range slices.Sorted(maps.Keys(sizes)) {
		region, _ := chunkMembers(p, b)
		var total, biggest int64
		for _, v := range p.Values {
			if region[v.ID] && !isView(v.Op) {
				n := v.Type.Bytes()
				total += n
				biggest = max(biggest, n)
			}
		}
		if biggest >= chunkTune.minBytes && total > bestBytes {
			best, bestBytes = b, total
		}
	}
	return best, bestBytes > 0
}

// isView reports ops that cost no pass over memory (views of their
// operand): they do not make a region worth chunking.
func isView(op ir.Op) bool {
	switch op {
	case ir.OpBroadcast, ir.OpSlice, ir.OpSelect, ir.OpPermute, ir.OpReshape:
		return true
	}
	return false
}

// chunkMembers is the region for batch size b: row-local values that
// depend on nothing computed from the region outside it, and for each
// which operands it reads row by row (rowLocal).
func chunkMembers(p *ir.Program, b int) (map[int]bool, map[int][]bool) {
	region, batchedOf := map[int]bool{}, map[int][]bool{}
	after := map[int]bool{} // outside the region, computed from it
	for _, v := range p.Values {
		batched, local := rowLocal(p, v, b)
		reads := false // v reads the region, directly or through after
		blocked := false
		for i, o := range v.Operands {
			reads = reads || region[o] || after[o]
			// an operand read whole (a weight) must not be a region value:
			// each chunk has only its own rows of it
			blocked = blocked || after[o] || local && !batched[i] && region[o]
		}
		switch {
		case local && !blocked:
			region[v.ID], batchedOf[v.ID] = true, batched
		case reads:
			after[v.ID] = true
		}
	}
	return region, batchedOf
}

// rowLocal reports whether v is row-local for batch size b and which of
// its operands are batched (read row for row; the rest are read whole).
func rowLocal(p *ir.Program, v *ir.Value, b int) ([]bool, bool) {
	shape := v.Type.Shape
	if len(shape) == 0 || shape[0] != b {
		return nil, false
	}
	batched := make([]bool, len(v.Operands))
	lead := func(o int) (int, bool) { // operand o's rank and whether it has b at axis 0
		s := p.Value(v.Operands[o]).Type.Shape
		return len(s), len(s) > 0 && s[0] == b
	}
	all := func() ([]bool, bool) {
		for o := range v.Operands {
			if _, ok := lead(o); !ok {
				return nil, false
			}
			batched[o] = true
		}
		return batched, true
	}
	if d, ok := ir.Lookup(v.Op); ok && d.Elementwise {
		for o := range v.Operands {
			r, has := lead(o)
			switch {
			case r == len(shape) && has:
				batched[o] = true
			case r == len(shape) && p.Value(v.Operands[o]).Type.Shape[0] != 1:
				return nil, false
			}
		}
		return batched, true
	}
	switch v.Op {
	case ir.OpEinsum:
		sp, err := ir.ParseEinsum(v.Attrs.String("spec"), len(v.Operands))
		if err != nil || len(sp.Out) == 0 {
			return nil, false
		}
		l := sp.Out[0]
		if slices.Contains(sp.Out[1:], l) {
			return nil, false
		}
		for o, in := range sp.In {
			switch i := slices.Index(in, l); {
			case i < 0:
				// Each chunk's GEMM packs the weight again: worth it for
				// small weights only (GPT-2's 150 MB unembedding, packed per
				// chunk of one sequence, doubled its forward time).
				if p.Value(v.Operands[o]).Type.Bytes() > chunkTune.chunkBytes {
					return nil, false
				}
			case i > 0 || slices.Contains(in[1:], l):
				return nil, false
			default:
				batched[o] = true
			}
		}
		return batched, true
	case ir.OpSoftmax, ir.OpLogSoftmax, ir.OpReduceMax, ir.OpReduceMin, ir.OpLastDimSize:
		if r, _ := lead(0); r < 2 {
			return nil, false
		}
		return all()
	case ir.OpSum:
		if slices.Contains(v.Attrs.Ints("axes"), 0) {
			return nil, false
		}
		return all()
	case ir.OpPermute:
		if v.Attrs.Ints("perm")[0] != 0 {
			return nil, false
		}
		return all()
	case ir.OpReshape, ir.OpScatter:
		if v.Op == ir.OpScatter && v.Attrs.Ints("starts")[0] != 0 {
			return nil, false
		}
		return all()
	case ir.OpBroadcast:
		if r, has := lead(0); r == len(shape) && has {
			batched[0] = true
		} else if r == len(shape) && p.Value(v.Operands[0]).Type.Shape[0] != 1 {
			return nil, false
		}
		return batched, true
	case ir.OpSlice:
		if v.Attrs.Ints("starts")[0] != 0 || v.Attrs.Ints("stops")[0] != b {
			return nil, false
		}
		return all()
	case ir.OpSelect:
		if v.Attrs.Int("axis") == 0 {
			return nil, false
		}
		return all()
	case ir.OpConcat:
		if v.Attrs.Int("axis") == 0 {
			return nil, false
		}
		return all()
	case ir.OpGather:
		if v.Attrs.Int("axis") == 0 {
			batched[1] = true // row i is data[index[i]]
			return batched, true
		}
		if _, has := lead(0); !has {
			return nil, false
		}
		batched[0] = true
		return batched, true
	}
	return nil, false
}

// chunkRegion rewrites p with batch size b's region computed in chunks:
// first every value the region does not feed, then the chunks, each
// computing the whole region on its rows, then the concats of region
// values read from outside, then the rest.
func chunkRegion(p *ir.Program, b int) (*ir.Program, error) {
	region, batchedOf := chunkMembers(p, b)
	var rowBytes int64
	for _, v := range p.Values {
		if region[v.ID] {
			rowBytes = max(rowBytes, v.Type.Bytes()/int64(b))
		}
	}
	rows := int(max(1, chunkTune.chunkBytes/max(rowBytes, 1)))
	rows = max(rows, (b+chunkMaxChunks-1)/chunkMaxChunks) // a bounded program, however big the batch
	if r, ok := earlierChunks(p, region, batchedOf); ok {
		rows = r // read an earlier round's chunks as they are, not through a concat
	}
	if rows >= b {
		return p, nil
	}
	fed := map[int]bool{} // values computed from the region (region included)
	for _, v := range p.Values {
		if region[v.ID] {
			fed[v.ID] = true
			continue
		}
		for _, o := range v.Operands {
			if fed[o] {
				fed[v.ID] = true
				break
			}
		}
	}
	bd := ir.NewBuilder()
	for h, t := range p.Consts {
		bd.AddConstTensor(h, t)
	}
	m := make(map[int]int, len(p.Values))
	for _, v := range p.Values {
		if fed[v.ID] {
			continue
		}
		id, err := bd.Copy(v, commuted(v, mapIDs(m, v.Operands))...)
		if err != nil {
			return nil, err
		}
		m[v.ID] = id
	}
	copies := map[int][]int{} // region value -> its chunks
	for lo := 0; lo < b; lo += rows {
		hi := min(lo+rows, b)
		cm := map[int]int{}     // region value -> this chunk's copy
		sliced := map[int]int{} // outside value -> its rows of this chunk
		rowsOf := func(o int) (int, error) {
			if id, ok := sliced[o]; ok {
				return id, nil
			}
			t := typeOf(bd, m[o])
			st, sp := make([]int, len(t.Shape)), slices.Clone(t.Shape)
			st[0], sp[0] = lo, hi
			id, err := mkSlice(bd, m[o], st, sp)
			sliced[o] = id
			return id, err
		}
		for _, v := range p.Values {
			if !region[v.ID] {
				continue
			}
			batched := batchedOf[v.ID]
			ops := make([]int, len(v.Operands))
			for i, o := range v.Operands {
				var err error
				switch {
				case region[o]:
					ops[i] = cm[o]
				case batched[i]:
					ops[i], err = rowsOf(o)
				default:
					ops[i] = m[o]
				}
				if err != nil {
					return nil, err
				}
			}
			t := withShape(v.Type, v.Type.Shape)
			t.Shape[0] = hi - lo
			attrs := v.Attrs
			if v.Op == ir.OpSlice {
				sp := slices.Clone(v.Attrs.Ints("stops"))
				sp[0] = hi - lo
				attrs = ir.Attrs{"starts": v.Attrs.Ints("starts"), "stops": sp}
			}
			id, err := bd.AddTyped(v.Op, attrs, t, commuted(v, ops)...)
			if err != nil {
				return nil, err
			}
			cm[v.ID] = id
			copies[v.ID] = append(copies[v.ID], id)
		}
	}
	for _, v := range p.Values {
		if !region[v.ID] {
			continue
		}
		outside := p.IsOutput(v.ID)
		for _, u := range p.Users(v.ID) {
			outside = outside || !region[u]
		}
		if !outside {
			continue
		}
		id, err := bd.AddTyped(ir.OpConcat, ir.Attrs{"axis": 0}, v.Type, copies[v.ID]...)
		if err != nil {
			return nil, err
		}
		m[v.ID] = id
	}
	for _, v := range p.Values {
		if !fed[v.ID] || region[v.ID] {
			continue
		}
		id, err := bd.Copy(v, commuted(v, mapIDs(m, v.Operands))...)
		if err != nil {
			return nil, err
		}
		m[v.ID] = id
	}
	for _, o := range p.Outputs {
		if err := bd.Output(o.Name, m[o.ID]); err != nil {
			return nil, err
		}
	}
	return prune(bd.Build())
}

// earlierChunks finds the rows of an earlier round's chunks among what the
// region reads row by row: a concat along axis 0 of pieces of one size
// (the last one smaller or equal).
func earlierChunks(p *ir.Program, region map[int]bool, batchedOf map[int][]bool) (int, bool) {
	for _, v := range p.Values {
		if !region[v.ID] {
			continue
		}
		batched := batchedOf[v.ID]
		for i, o := range v.Operands {
			c := p.Value(o)
			if !batched[i] || region[o] || c.Op != ir.OpConcat || c.Attrs.Int("axis") != 0 || len(c.Operands) < 2 {
				continue
			}
			r := p.Value(c.Operands[0]).Type.Shape[0]
			even := true
			for j, piece := range c.Operands {
				n := p.Value(piece).Type.Shape[0]
				even = even && (n == r || j == len(c.Operands)-1 && n <= r)
			}
			if even {
				return r, true
			}
		}
	}
	return 0, false
}

// commuted sorts the operands of add and mul as cse does, so a program
// chunk moved values in stays as cse leaves it.
func commuted(v *ir.Value, ops []int) []int {
	if v.Op == ir.OpAdd || v.Op == ir.OpMul {
		slices.Sort(ops)
	}
	return ops
}

func mapIDs(m map[int]int, ids []int) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}
