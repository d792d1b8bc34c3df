// Package pyrandom reproduces the integer streams of CPython's random.Random
// (MT19937 seeded by init_by_array) so that identifiers rust_circuit derives
// from Python's generator, such as the per-layer Symbol uuids of its module
// library, are recomputed rather than pasted.
//
// Invariant: for every non-negative seed s and bit count k, New(s).GetRandBits(k)
// equals Python's random.Random(s).getrandbits(k), call after call.
package pyrandom

import (
	"math/big"
	"math/bits"
)

const (
	n         = 624
	m         = 397
	matrixA   = 0x9908b0df
	upperMask = 0x80000000
	lowerMask = 0x7fffffff
)

// Random is one MT19937 stream; it is not safe for concurrent use.
type Random struct {
	state [n]uint32
	index int
}

// New seeds a generator as random.Random(seed) does for a non-negative int:
// the seed's 32-bit words, least significant first, feed init_by_array.
func New(seed *big.Int) *Random {
	var key []uint32
	for _, w := range new(big.Int).Abs(seed).Bits() {
		key = append(key, uint32(w))
		if bits.UintSize == 64 {
			key = append(key, uint32(uint64(w)>>32))
		}
	}
	for len(key) > 1 && key[len(key)-1] == 0 {
		key = key[:len(key)-1] // CPython drops leading zero words
	}
	if len(key) == 0 {
		key = []uint32{0}
	}
	r := &Random{}
	r.initByArray(key)
	return r
}

// NewInt is New for a small seed.
func NewInt(seed int64) *Random { return New(big.NewInt(seed)) }

func (r *Random) initGenrand(s uint32) {
	r.state[0] = s
	for i := 1; i < n; i++ {
		prev := r.state[i-1]
		r.state[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	r.index = n
}

func (r *Random) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	k := max(n, len(key))
	for ; k > 0; k-- {
		prev := r.state[i-1]
		r.state[i] = (r.state[i] ^ ((prev ^ (prev >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= n {
			r.state[0] = r.state[n-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = n - 1; k > 0; k-- {
		prev := r.state[i-1]
		r.state[i] = (r.state[i] ^ ((prev ^ (prev >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			r.state[0] = r.state[n-1]
			i = 1
		}
	}
	r.state[0] = 0x80000000 // the most significant bit makes the state non-zero
}

// Uint32 is genrand_uint32: the next 32-bit output.
func (r *Random) Uint32() uint32 {
	if r.index >= n {
		r.twist()
	}
	y := r.state[r.index]
	r.index++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

func (r *Random) twist() {
	for i := 0; i < n; i++ {
		y := (r.state[i] & upperMask) | (r.state[(i+1)%n] & lowerMask)
		v := r.state[(i+m)%n] ^ (y >> 1)
		if y&1 != 0 {
			v ^= matrixA
		}
		r.state[i] = v
	}
	r.index = 0
}

// GetRandBits is random.getrandbits(k) for k > 0: 32-bit words least
// significant first, the last one cut to its top k%32 bits.
func (r *Random) GetRandBits(k int) *big.Int {
	out := new(big.Int)
	for shift := 0; k > 0; shift += 32 {
		w := r.Uint32()
		if k < 32 {
			w >>= 32 - k
		}
		out.Or(out, new(big.Int).Lsh(big.NewInt(int64(w)), uint(shift)))
		k -= 32
	}
	return out
}

// UUID4Bits formats the next 128 random bits as Python's
// str(uuid.UUID(int=getrandbits(128))) does: 32 hex digits in 8-4-4-4-12 groups.
func (r *Random) UUID4Bits() string {
	var b [16]byte
	r.GetRandBits(128).FillBytes(b[:])
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}
