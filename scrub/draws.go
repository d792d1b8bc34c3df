package scrub

import (
	"math/bits"
	"runtime"

	"github.com/circopt/circopt/internal/gang"
)

// Draws is a counter-based random stream: its k-th number is a pure
// function of (key, k), wyrand's output for the state key+(k+1)·γ. So a
// block of draws can be computed in any order, on any number of
// goroutines, and a scrub's indices depend on its seed alone — never on
// GOMAXPROCS or on how the work was split. Each sampler call of a scrub
// takes its own child stream (Stream), so one call's draws never shift
// another's.
//
// Bounded draws (IntN, the samplers' index draws) take the high word of
// the 128-bit product x·n (Lemire's multiply-shift without the rejection
// step): their bias is below n/2^64, under 2^-30 for any dataset that fits
// in memory.
type Draws struct {
	key  uint64
	next uint64 // numbers already taken
}

const (
	wyP0 = 0xa0761d6478bd642f // wyrand's increment (γ)
	wyP1 = 0xe7037ed1a0b428db
)

// NewDraws is the root stream of a scrub with the given seed.
func NewDraws(seed uint64) *Draws {
	// mix the seed once so nearby seeds start far apart
	return &Draws{key: wymix(seed*wyP0+wyP1) ^ seed}
}

// wymix is wyrand's output function of its state.
func wymix(s uint64) uint64 {
	hi, lo := bits.Mul64(s, s^wyP1)
	return hi ^ lo
}

// at is the stream's k-th number.
func (d *Draws) at(k uint64) uint64 { return wymix(d.state(k)) }

// state is the generator state of number k; number k+1's is state(k)+wyP0,
// which loops over consecutive numbers step to instead of multiplying.
func (d *Draws) state(k uint64) uint64 { return d.key + (k+1)*wyP0 }

// Uint64 takes the stream's next number.
func (d *Draws) Uint64() uint64 {
	x := d.at(d.next)
	d.next++
	return x
}

// IntN takes the next number as an index in [0, n); n must be positive.
func (d *Draws) IntN(n int) int {
	hi, _ := bits.Mul64(d.Uint64(), uint64(n))
	return int(hi)
}

// Stream takes the next number as the key of an independent child stream.
func (d *Draws) Stream() *Draws { return &Draws{key: d.Uint64()} }

// take reserves the next n numbers, returning the first one's counter.
func (d *Draws) take(n int) uint64 {
	k := d.next
	d.next += uint64(n)
	return k
}

// below is the bounded draw of number x: an index in [0, n).
func below(x uint64, n int) int {
	hi, _ := bits.Mul64(x, uint64(n))
	return int(hi)
}

// Uniform fills dst with indices drawn uniformly from [0, n), taking
// len(dst) numbers.
func (d *Draws) Uniform(dst []int, n int) {
	base := int(d.take(len(dst)))
	splitDraws(len(dst), func(lo, hi int) { d.fill(dst[lo:hi], n, base+lo) })
}

// fill sets dst[p] to the bounded draw of number first+p, in [0, n).
func (d *Draws) fill(dst []int, n, first int) {
	st := d.state(uint64(first))
	for p := range dst {
		dst[p] = below(wymix(st), n)
		st += wyP0
	}
}

// parallelDraws is the block size above which draws are split across
// goroutines: below it a goroutine's start costs more than it saves.
const parallelDraws = 8192

// splitDraws runs f over [0, n) in at most GOMAXPROCS contiguous parts
// (one when n is small). Callers compute each position independently, so
// the split never changes a result.
func splitDraws(n int, f func(lo, hi int)) { splitWork(n, parallelDraws/2, f) }

// splitWork runs f over [0, n) in contiguous parts of at least least
// positions each, at most chunksPerWorker per GOMAXPROCS, on the caller
// and gang's helpers.
func splitWork(n, least int, f func(lo, hi int)) {
	parts := min(chunksPerWorker*runtime.GOMAXPROCS(0), n/least)
	if parts <= 1 {
		f(0, n)
		return
	}
	gang.For(parts, func(i int) { f(n*i/parts, n*(i+1)/parts) })
}

// chunksPerWorker is how many parts splitWork cuts per goroutine: parts
// are handed out on demand, so a helper that wakes late takes fewer.
const chunksPerWorker = 4
