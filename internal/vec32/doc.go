// Package vec32 is circopt's float32 slice math: exp, sigmoid, tanh,
// gelu_new and log (math.go), the softmax row sums (softmax.go), whole
// blocks of short softmax rows (softmaxrows.go: one AVX-512 kernel call
// for many rows, the per-row kernels' bits) and the
// fused kernel's cheap elementwise ops (add, multiply, scale, relu,
// negate; arith.go), each as an AVX2 kernel (vec32_amd64.s, written by
// gen_vec32.go) with a pure-Go form (generic.go) that runs on other CPUs
// and on the last len%8 elements. The transcendental ones also have an
// AVX-512 form (the same instructions on eight lanes, compares into mask
// registers) for the first len&^15 elements where the CPU has it.
// dispatch.go picks.
//
// Invariants:
//   - Bit identity: every slice kernel stores exactly what its element
//     function in scalar.go gives (NaN compared as NaN), whatever the CPU,
//     the length, the alignment or whether dst is a (vec32_test.go runs
//     every path the CPU has: AVX-512, AVX2, Go). The
//     transcendental kernels get there by doing the scalar code's IEEE
//     float64 operations in the same order on four lanes at a time
//     (VCVTPS2PD, then no fused multiply-add, 2^k built from the
//     shifter's bits with integer adds and shifts, one VCVTPD2PS); the
//     scalar code converts every product that feeds an addition
//     explicitly, so Go cannot fuse it into an FMA under GOAMD64=v3 either.
//   - Accuracy (what the element functions promise, runtime's
//     mathf32_test.go and softmax32_test.go check it): within 1 ulp of the
//     correctly rounded float32 result; special values as math's.
//   - ExpSum and ExpStore add in a fixed order (four interleaved partial
//     sums), so sums are deterministic and the same on every path.
//   - dst may be the same slice as an operand; other overlaps are not
//     allowed. dst decides the length: operands must be at least as long.
package vec32
