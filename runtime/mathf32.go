package runtime

import (
	"github.com/circopt/circopt/internal/vec32"
	"github.com/circopt/circopt/ir"
	"math"
)

// float32 runs compute exp, sigmoid, tanh, log and gelu_new with
// internal/vec32's element functions (float64 polynomial, one rounding:
// within 1 ulp of float64 math rounded, mathf32_test.go), contiguous rows
// with its slice kernels (AVX2 where the CPU has it), and contiguous rows of
// relu, neg and scale (and add, mul: binaryT, accumulateT, applyFused)
// with its vector kernels too. Every slice kernel stores its element
// function's bits, so strided and contiguous operands, fused and unfused
// kernels give the same float32 results (fuse_test.go).

// fastUnary32 is the float32 kernel function of op, nil when float32 runs
// compute op through float64 math; fastUnary32s its slice form.
func fastUnary32(op ir.Op) func(float32) float32 {
	switch op {
	case ir.OpExp:
		return vec32.Exp
	case ir.OpSigmoid:
		return vec32.Sigmoid
	case ir.OpTanh:
		return vec32.Tanh
	case ir.OpLog:
		return vec32.Log
	case ir.OpGeluNew:
		return vec32.GeluNew
	}
	return nil
}

func fastUnary32s(op ir.Op) func(dst, a []float32) {
	switch op {
	case ir.OpExp:
		return vec32.Exps
	case ir.OpSigmoid:
		return vec32.Sigmoids
	case ir.OpTanh:
		return vec32.Tanhs
	case ir.OpLog:
		return vec32.Logs
	case ir.OpGeluNew:
		return vec32.GeluNews
	}
	return nil
}

// unary32s computes the unary op over a contiguous float32 row with a
// vec32 kernel (factor is scale's), reporting false when there is none.
func unary32s(op ir.Op, factor float32, dst, a []float32) bool {
	switch op {
	case ir.OpRelu:
		vec32.Relu(dst, a)
	case ir.OpNeg:
		vec32.Neg(dst, a)
	case ir.OpScale:
		vec32.Scale(dst, a, factor)
	// The float64 functions the reference rounds (interp's), inlined here
	// rather than called through a function value per element.
	case ir.OpAbs:
		for i, x := range a[:len(dst)] {
			dst[i] = float32(math.Abs(float64(x)))
		}
	case ir.OpReciprocal:
		for i, x := range a[:len(dst)] {
			dst[i] = float32(1 / float64(x))
		}
	case ir.OpRsqrt:
		for i, x := range a[:len(dst)] {
			dst[i] = float32(1 / math.Sqrt(float64(x)))
		}
	case ir.OpStep:
		for i, x := range a[:len(dst)] {
			dst[i] = 0
			if x > 0 {
				dst[i] = 1
			}
		}
	default:
		f := fastUnary32s(op)
		if f == nil {
			return false
		}
		f(dst, a)
	}
	return true
}
