//go:build !amd64

package simd

// Only amd64 has assembly kernels; elsewhere the Go kernel runs.
func hasAVX512() bool { return false }

func hasAVX2FMA() bool { return false }
