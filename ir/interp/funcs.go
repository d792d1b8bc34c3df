package interp

import (
	"math"

	"github.com/circopt/circopt/ir"
)

// The scalar functions behind ir's elementwise unary ops. Each is written to
// stay finite where the mathematical value is (sigmoid, log_exp_p_1).

var sqrt2 = math.Sqrt2
var sqrt2OverPi = math.Sqrt(2 / math.Pi)
var invSqrt2Pi = 1 / math.Sqrt(2*math.Pi)

func gaussianCDF(x float64) float64 { return 0.5 * math.Erfc(-x/sqrt2) }

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

var unaryFuncs = map[ir.Op]func(float64) float64{
	ir.OpRelu: func(x float64) float64 {
		if x > 0 {
			return x
		}
		if math.IsNaN(x) {
			return x
		}
		return 0
	},
	ir.OpGelu: func(x float64) float64 { return x * gaussianCDF(x) },
	// ½x(1+tanh u), u = √(2/π)(x+0.044715x³), as the same function
	// x/(1+e^(-2u)), which does not cancel where tanh u ≈ -1 (x ≲ -5.5)
	ir.OpGeluNew: func(x float64) float64 {
		return x / (1 + math.Exp(-2*sqrt2OverPi*(x+0.044715*x*x*x)))
	},
	ir.OpSigmoid:    sigmoid,
	ir.OpTanh:       math.Tanh,
	ir.OpExp:        math.Exp,
	ir.OpLog:        math.Log,
	ir.OpSin:        math.Sin,
	ir.OpCos:        math.Cos,
	ir.OpRsqrt:      func(x float64) float64 { return 1 / math.Sqrt(x) },
	ir.OpReciprocal: func(x float64) float64 { return 1 / x },
	ir.OpAbs:        math.Abs,
	ir.OpStep: func(x float64) float64 {
		if x > 0 {
			return 1
		}
		return 0
	},
	// log(1+e^x) = max(x,0) + log1p(e^-|x|): no overflow for large x.
	ir.OpLogExpP1:    func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) },
	ir.OpGaussianPDF: func(x float64) float64 { return invSqrt2Pi * math.Exp(-0.5*x*x) },
	ir.OpGaussianCDF: gaussianCDF,
	ir.OpLogit:       func(x float64) float64 { return math.Log(x / (1 - x)) },
	ir.OpNeg:         func(x float64) float64 { return -x },
}

// UnaryFunc returns the scalar function of an elementwise unary op.
func UnaryFunc(op ir.Op) (func(float64) float64, bool) {
	f, ok := unaryFuncs[op]
	return f, ok
}
