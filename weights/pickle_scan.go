package weights

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Bounds on the work a pickle may ask of gopickle, far above what any
// state dict needs (a few dozen opcodes per tensor, containers nested a
// few deep, integers that fit in 64 bits).
const (
	maxPickleOps    = 1 << 22 // opcodes executed
	maxMarkDepth    = 1 << 10 // MARKs open at once; each costs a new stack
	maxMemoEntries  = 1 << 20 // PUT, BINPUT, LONG_BINPUT and MEMOIZE
	maxIntDigits    = 4300    // digits of an INT or LONG line (CPython's default limit)
	maxLongBinBytes = 1 << 12 // bytes of a LONG4 (gopickle decodes it in quadratic time)
)

// checkPickle walks the opcodes of a pickle stream and checks every
// length-prefixed argument (strings, bytes, big integers, frames) against
// the bytes that remain. gopickle allocates a buffer of the declared length
// before reading, so without this walk a few hostile bytes could demand
// terabytes of memory, which Go cannot recover from. The walk also bounds
// the work and memory of unpickling (see maxPickleOps and the others): a
// mark flood, a memo flood or a huge decimal literal is refused before
// gopickle runs. The walk ends at STOP.
func checkPickle(p []byte) error {
	i := 0
	ops, marks, memo := 0, 0, 0
	need := func(op byte, n uint64) error {
		if n > uint64(len(p)-i) {
			return fmt.Errorf("pickle: opcode 0x%02x at byte %d needs %d bytes, %d remain", op, i-1, n, len(p)-i)
		}
		return nil
	}
	// counted reads an n-byte little-endian length, then checks and
	// skips that many bytes.
	counted := func(op byte, n int) error {
		if err := need(op, uint64(n)); err != nil {
			return err
		}
		var l uint64
		switch n {
		case 1:
			l = uint64(p[i])
		case 4:
			l = uint64(binary.LittleEndian.Uint32(p[i:]))
		case 8:
			l = binary.LittleEndian.Uint64(p[i:])
		}
		i += n
		if err := need(op, l); err != nil {
			return err
		}
		i += int(l)
		return nil
	}
	line := func(op byte) error {
		for j := i; j < len(p); j++ {
			if p[j] == '\n' {
				i = j + 1
				return nil
			}
		}
		return fmt.Errorf("pickle: opcode 0x%02x at byte %d: unterminated line", op, i-1)
	}
	for i < len(p) {
		op := p[i]
		i++
		if ops++; ops > maxPickleOps {
			return fmt.Errorf("pickle: more than %d opcodes: %w", maxPickleOps, ErrTooLarge)
		}
		switch op {
		case '(': // MARK
			if marks++; marks > maxMarkDepth {
				return fmt.Errorf("pickle: MARK at byte %d: more than %d marks open: %w", i-1, maxMarkDepth, ErrTooLarge)
			}
		case '1', 't', 'l', 'd', 'e', 'u', 'o', 'i', 0x90, 0x91: // pop a mark
			marks = max(marks-1, 0)
		case 'p', 'q', 'r', 0x94: // memo writes
			if memo++; memo > maxMemoEntries {
				return fmt.Errorf("pickle: memo write at byte %d: more than %d memo entries: %w", i-1, maxMemoEntries, ErrTooLarge)
			}
		case 'I', 'L':
			if j := bytes.IndexByte(p[i:], '\n'); j > maxIntDigits+2 || j < 0 && len(p)-i > maxIntDigits+2 {
				return fmt.Errorf("pickle: integer literal at byte %d has more than %d digits: %w", i-1, maxIntDigits, ErrTooLarge)
			}
		case 0x8b: // LONG4
			if len(p)-i >= 4 && binary.LittleEndian.Uint32(p[i:]) > maxLongBinBytes {
				return fmt.Errorf("pickle: LONG4 at byte %d has more than %d bytes: %w", i-1, maxLongBinBytes, ErrTooLarge)
			}
		}
		var err error
		switch op {
		case '.': // STOP
			return nil
		case '(', '0', '1', '2', 'N', 'R', 'a', 'b', 'd', '}', 'e', 'l', ']', 'o', 's', 't', ')', 'u', 'Q',
			0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98:
			// no argument
		case 'K', 'h', 'q', 0x80, 0x82: // BININT1 BINGET BINPUT PROTO EXT1
			err = need(op, 1)
			i++
		case 'M', 0x83: // BININT2 EXT2
			err = need(op, 2)
			i += 2
		case 'J', 'j', 'r', 0x84: // BININT LONG_BINGET LONG_BINPUT EXT4
			err = need(op, 4)
			i += 4
		case 'G': // BINFLOAT
			err = need(op, 8)
			i += 8
		case 0x95: // FRAME: its contents are ordinary opcodes, walked in turn
			if err = need(op, 8); err == nil {
				l := binary.LittleEndian.Uint64(p[i:])
				i += 8
				err = need(op, l)
			}
		case 'U', 'C', 0x8c, 0x8a: // SHORT_BINSTRING SHORT_BINBYTES SHORT_BINUNICODE LONG1
			err = counted(op, 1)
		case 'T', 'B', 'X', 0x8b: // BINSTRING BINBYTES BINUNICODE LONG4
			err = counted(op, 4)
		case 0x8d, 0x8e, 0x96: // BINUNICODE8 BINBYTES8 BYTEARRAY8
			err = counted(op, 8)
		case 'I', 'L', 'F', 'S', 'V', 'P', 'g', 'p': // one text line
			err = line(op)
		case 'c', 'i': // GLOBAL INST: module and name lines
			if err = line(op); err == nil {
				err = line(op)
			}
		default:
			return fmt.Errorf("pickle: unknown opcode 0x%02x at byte %d", op, i-1)
		}
		if err != nil {
			return err
		}
		if i > len(p) {
			return fmt.Errorf("pickle: truncated at opcode 0x%02x", op)
		}
	}
	return fmt.Errorf("pickle: no STOP opcode")
}
