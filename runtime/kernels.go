package runtime

import (
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/ir/interp"
	"github.com/circopt/circopt/tensor"
)

// The reference kernels live in ir/interp so the optimizer can fold
// constants without importing the executor; both executors share its dtype
// rule and scalar functions.

// valueDType is the dtype a value is computed in: the run dtype for floats.
func valueDType(v *ir.Value, dt tensor.DType) tensor.DType { return interp.ValueDType(v, dt) }
