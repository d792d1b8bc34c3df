package runtime

import (
	"testing"

	"github.com/circopt/circopt/tensor"
)

// TestPlanLayoutByCost: the layout planContract picks for contractions
// whose output groups do not collapse. A per-head projection over many
// examples runs as one GEMM into a permuted block, not thousands of
// 8×16×64 GEMMs; a contraction whose result collapses stays direct.
func TestPlanLayoutByCost(t *testing.T) {
	cases := []struct {
		spec        string
		a, b, out   []int
		direct      bool
		gemms, rows int
	}{
		{"bsk,hdk->bhsd", []int{1663, 8, 64}, []int{4, 16, 64}, []int{1663, 4, 8, 16}, false, 1, 1663 * 8},
		{"bhsd,hmd->bhsm", []int{1663, 4, 8, 16}, []int{4, 64, 16}, []int{1663, 4, 8, 64}, false, 4, 1663 * 8},
		{"bsk,kn->bsn", []int{1663, 8, 64}, []int{64, 32}, []int{1663, 8, 32}, true, 1, 1663 * 8},
		// attention scores: a true batch, one small GEMM per (b, h)
		{"bhqd,bhkd->bhqk", []int{100, 4, 8, 16}, []int{100, 4, 8, 16}, []int{100, 4, 8, 8}, true, 400, 8},
	}
	for _, c := range cases {
		cl, ok := classifyEinsum(c.spec)
		if !ok {
			t.Fatalf("%s: not a contraction", c.spec)
		}
		shaped := func(s []int) *arr { a := shapeOnly(s); a.dt = tensor.Float32; return a }
		pl := planContract(cl, shaped(c.a), shaped(c.b), shaped(c.out))
		rows := pl.M
		if pl.swap {
			rows = pl.N
		}
		if pl.direct != c.direct || pl.NB != c.gemms || rows != c.rows {
			t.Errorf("%s: direct %v, %d GEMMs of %d rows; want direct %v, %d of %d", c.spec, pl.direct, pl.NB, rows, c.direct, c.gemms, c.rows)
		}
	}
}
