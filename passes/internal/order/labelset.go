package order

import "math/bits"

// labelSet is a bitset over dense label ids. All sets of one instance have
// the same number of words, so binary operations need no length checks.
type labelSet []uint64

func newLabelSet(words int) labelSet { return make(labelSet, words) }

func (s labelSet) add(l int)      { s[l>>6] |= 1 << (uint(l) & 63) }
func (s labelSet) has(l int) bool { return s[l>>6]&(1<<(uint(l)&63)) != 0 }

// or writes a|b into s.
func (s labelSet) or(a, b labelSet) {
	for i := range s {
		s[i] = a[i] | b[i]
	}
}

// and writes a&b into s.
func (s labelSet) and(a, b labelSet) {
	for i := range s {
		s[i] = a[i] & b[i]
	}
}

func (s labelSet) equal(t labelSet) bool {
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

func (s labelSet) clone() labelSet { return append(labelSet(nil), s...) }

// forEach calls f for each label id in ascending order.
func (s labelSet) forEach(f func(int)) {
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			f(i<<6 | b)
			w &= w - 1
		}
	}
}
