package transformer

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// maskedScore is added to attention scores above the diagonal: exp of it
// underflows to zero in float32 and float64 alike.
const maskedScore = -1e9

// LayerNorm normalizes x over its last axis as GPT-2 does, (x − mean) ·
// rsqrt(var + eps) · scale + bias, with its parts named under prefix
// (prefix+".mean", ".centered", ".var", ".eps", ".rstd", ".norm", and
// prefix for the result). The module library has its own (modlib); this
// one serves forward passes written by hand (package acdc).
func LayerNorm(prefix string, x, scale, bias circuit.Circuit, eps float64) (circuit.Circuit, error) {
	if scale == nil || bias == nil {
		return nil, fmt.Errorf("layer norm %q: missing scale or bias", prefix)
	}
	mean, err := circuit.Mean(prefix+".mean", x, -1)
	if err != nil {
		return nil, err
	}
	um, err := circuit.Unsqueeze("", mean, -1)
	if err != nil {
		return nil, err
	}
	centered, err := circuit.Sub(prefix+".centered", x, um)
	if err != nil {
		return nil, err
	}
	sq, err := circuit.Mul("", centered, centered)
	if err != nil {
		return nil, err
	}
	variance, err := circuit.Mean(prefix+".var", sq, -1)
	if err != nil {
		return nil, err
	}
	e, err := circuit.NewScalar(eps, nil, prefix+".eps")
	if err != nil {
		return nil, err
	}
	ve, err := circuit.NewAdd("", variance, e)
	if err != nil {
		return nil, err
	}
	rstd, err := circuit.NewGeneralFunction(prefix+".rstd", "rsqrt", ve)
	if err != nil {
		return nil, err
	}
	ur, err := circuit.Unsqueeze("", rstd, -1)
	if err != nil {
		return nil, err
	}
	norm, err := circuit.Mul(prefix+".norm", centered, ur, scale)
	if err != nil {
		return nil, err
	}
	return circuit.NewAdd(prefix, norm, bias)
}

// CausalMask is the Array 't.mask' [seq, seq] added to attention scores:
// 0 on and below the diagonal and a large negative score above it.
func CausalMask(seq int) (circuit.Circuit, error) {
	data := make([]float32, seq*seq)
	for i := 0; i < seq; i++ {
		for j := i + 1; j < seq; j++ {
			data[i*seq+j] = maskedScore
		}
	}
	t, err := tensor.FromFloat32([]int{seq, seq}, data)
	if err != nil {
		return nil, err
	}
	return circuit.NewArray(t, "t.mask")
}
