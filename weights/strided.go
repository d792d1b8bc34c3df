package weights

import "fmt"

// checkStrided validates a strided view into a backing buffer of n
// elements: non-negative sizes, strides and offset, and every reachable
// element inside [0, n). It returns the number of elements of the view.
func checkStrided(n, offset int, size, stride []int) (int, error) {
	if len(size) != len(stride) {
		return 0, fmt.Errorf("size %v and stride %v have different ranks", size, stride)
	}
	count, err := numElements(size)
	if err != nil {
		return 0, err
	}
	if offset < 0 {
		return 0, fmt.Errorf("negative storage offset %d", offset)
	}
	if count == 0 {
		return 0, nil
	}
	if offset >= n {
		return 0, fmt.Errorf("storage offset %d is past the %d stored elements", offset, n)
	}
	last := offset
	for i, d := range size {
		if stride[i] < 0 {
			return 0, fmt.Errorf("negative stride %d in %v", stride[i], stride)
		}
		if stride[i] == 0 || d <= 1 {
			continue
		}
		// Compare by division so a hostile stride cannot overflow.
		if room := n - 1 - last; d-1 > room/stride[i] {
			return 0, fmt.Errorf("view (offset %d, size %v, stride %v) reaches past the %d stored elements", offset, size, stride, n)
		}
		last += (d - 1) * stride[i]
	}
	return count, nil
}

// gatherStrided copies a validated strided view of src into a new C-order
// slice of count elements.
func gatherStrided[T any](src []T, offset int, size, stride []int, count int) []T {
	out := make([]T, count)
	if count == 0 {
		return out
	}
	r := len(size)
	if r == 0 {
		out[0] = src[offset]
		return out
	}
	idx := make([]int, r)
	pos := offset
	inner, is := size[r-1], stride[r-1]
	for o := 0; o < count; {
		p := pos
		for j := 0; j < inner; j++ {
			out[o] = src[p]
			o++
			p += is
		}
		// Advance the outer axes like an odometer.
		for ax := r - 2; ax >= 0; ax-- {
			idx[ax]++
			pos += stride[ax]
			if idx[ax] < size[ax] {
				break
			}
			pos -= stride[ax] * size[ax]
			idx[ax] = 0
		}
	}
	return out
}
