package simd

import (
	"math/rand/v2"
	"testing"
)

// FuzzGemm compares every ISA with gonum on fuzzer-chosen shapes,
// transposes, leading-dimension paddings, scalars and ways of reading the
// operands (packed or in place). Run with
//
//	go test ./blas/simd -run '^$' -fuzz FuzzGemm -fuzztime 30s
func FuzzGemm(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint8(1), uint8(0), uint8(0), int8(1), int8(0), uint64(1))
	f.Add(uint8(15), uint8(33), uint8(7), uint8(3), uint8(0x12), int8(-2), int8(3), uint64(2))
	f.Add(uint8(29), uint8(1), uint8(200), uint8(1), uint8(0x21), int8(1), int8(1), uint64(3))
	f.Add(uint8(64), uint8(64), uint8(64), uint8(2), uint8(0), int8(4), int8(-1), uint64(4))
	f.Add(uint8(15), uint8(33), uint8(7), uint8(0), uint8(0x15), int8(3), int8(0), uint64(1)<<62|5)
	f.Add(uint8(29), uint8(47), uint8(40), uint8(1), uint8(0x2a), int8(-2), int8(2), uint64(2)<<62|6)
	f.Add(uint8(42), uint8(28), uint8(42), uint8(0), uint8(0x3f), int8(2), int8(-3), uint64(3)<<62|7)
	f.Fuzz(func(t *testing.T, m, n, k, trans, pads uint8, alpha, beta int8, seed uint64) {
		g := gemmCase{
			tA: transposes[int(trans)%3], tB: transposes[int(trans/3)%3],
			m: int(m % 80), n: int(n % 80), k: int(k),
			padA: int(pads & 3), padB: int(pads >> 2 & 3), padC: int(pads >> 4 & 3),
			alpha: float64(alpha) / 2, beta: float64(beta) / 2,
		}
		defer func(d bool, dp, ib, it int) {
			delegate, directBBytes, inPlaceBBytes, inPlaceBTiles = d, dp, ib, it
		}(delegate, directBBytes, inPlaceBBytes, inPlaceBTiles)
		// The seed's top bits pick how operands are read: by the default
		// rules, all packed, A in place with B packed, both in place.
		switch seed >> 62 {
		case 1:
			directBBytes = -1
		case 2:
			directBBytes, inPlaceBBytes, inPlaceBTiles = 1<<62, -1, -1
		case 3:
			directBBytes, inPlaceBBytes = 1<<62, 1<<62
		}
		for _, isa := range Supported() {
			impl, _ := NewISA(isa)
			for _, d := range []bool{false, true} {
				delegate = d
				checkCase(t, impl, g, rand.New(rand.NewPCG(seed, 9)))
			}
		}
	})
}
