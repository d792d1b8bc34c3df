package simd

import "fmt"

// ISA names an instruction-set level for the GEMM micro-kernels.
type ISA string

const (
	// Generic is the portable Go kernel, available everywhere.
	Generic ISA = "generic"
	// AVX2 is the AVX2+FMA kernel (6×16 float32, 6×8 float64 tiles).
	AVX2 ISA = "avx2"
	// AVX512 is the AVX-512F kernel (14×32 float32, 14×16 float64 tiles).
	AVX512 ISA = "avx512"
)

// Supported lists the ISAs this CPU can run, best first; Generic is
// always last.
func Supported() []ISA {
	var out []ISA
	if hasAVX512() {
		out = append(out, AVX512)
	}
	if hasAVX2FMA() {
		out = append(out, AVX2)
	}
	return append(out, Generic)
}

// Best is the fastest ISA this CPU supports.
func Best() ISA { return Supported()[0] }

// Accelerated reports whether the CPU has an assembly kernel (AVX2+FMA or
// better); without one this package is slower than gonum's own GEMM.
func Accelerated() bool { return Best() != Generic }

func supported(isa ISA) bool {
	for _, s := range Supported() {
		if s == isa {
			return true
		}
	}
	return false
}

func (isa ISA) check() error {
	switch isa {
	case Generic, AVX2, AVX512:
	default:
		return fmt.Errorf("simd: unknown ISA %q (want %s, %s or %s)", string(isa), AVX512, AVX2, Generic)
	}
	if !supported(isa) {
		return fmt.Errorf("simd: this CPU does not support %s", isa)
	}
	return nil
}
