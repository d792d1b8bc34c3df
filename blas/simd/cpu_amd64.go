//go:build amd64

package simd

import "golang.org/x/sys/cpu"

// x/sys/cpu already folds in whether the OS saves the wider register
// state (XCR0), so these flags mean "usable", not just "present".
func hasAVX512() bool { return cpu.X86.HasAVX512F && hasAVX2FMA() }

func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }
