package scrub

import "testing"

// A free list hands back the smallest kept buffer with room, to any
// goroutine, and keeps no more than its bounds.
func TestFreeListReusesWithinBounds(t *testing.T) {
	f := freeList[int]{max: 2, maxBytes: 8 * 100}
	small, big := make([]int, 10), make([]int, 50)
	f.put(big)
	f.put(small)
	f.put(make([]int, 5)) // a third buffer: over max, dropped
	if got := f.get(8); &got[:1][0] != &small[0] || len(got) != 8 {
		t.Fatalf("get(8) did not take the 10-element buffer")
	}
	if got := f.get(20); &got[:1][0] != &big[0] || len(got) != 20 {
		t.Fatalf("get(20) did not take the 50-element buffer")
	}
	if got := f.get(20); cap(got) != 20 {
		t.Fatalf("an empty list gave a buffer of cap %d, want a fresh one of 20", cap(got))
	}
	f.put(make([]int, 90))
	f.put(make([]int, 20)) // 110 ints: over maxBytes, dropped
	if len(f.bufs) != 1 || f.bytes != 8*90 {
		t.Fatalf("kept %d buffers, %d bytes; want the 90-element one alone", len(f.bufs), f.bytes)
	}
}
