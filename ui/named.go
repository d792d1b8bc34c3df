package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// Dim describes one dimension of a shown tensor, in the spirit of CUI's
// VeryNamedTensor.
type Dim struct {
	// Name is shown on axes and selectors ("batch", "seq", "pixel").
	Name string `json:"name"`
	// Type says how the page may draw the dimension: "" (plain), "seq"
	// (positions, drawn as a line by default) or "image" / "image:HxW" (a
	// flattened H×W image; plain "image" is square).
	Type string `json:"type,omitempty"`
	// Labels, when given, name every position (len(Labels) == size).
	Labels []string `json:"labels,omitempty"`
}

// Tensor is a tensor with named, typed dimensions, as the page shows it.
type Tensor struct {
	Name  string
	Value *tensor.Tensor
	// Dims has one entry per dimension of Value; nil infers them (see
	// InferDims).
	Dims []Dim
}

// InferDims names the dimensions of shape "d0", "d1", … and types a
// dimension of a square size ≥ 16×16 following another dimension as an
// image (784 → a 28×28 MNIST digit), the layout of flattened images.
func InferDims(shape []int) []Dim {
	dims := make([]Dim, len(shape))
	for i, n := range shape {
		dims[i] = Dim{Name: "d" + strconv.Itoa(i)}
		if side := isqrt(n); side >= 16 && side*side == n && len(shape) > 1 {
			dims[i].Type = "image"
		}
	}
	return dims
}

func isqrt(n int) int {
	r := 0
	for (r+1)*(r+1) <= n {
		r++
		if r > 1<<16 {
			break
		}
	}
	return r
}

// imageSize is the height and width of an image dimension of size n, or
// ok false when the type is not an image type or does not fit n.
func imageSize(typ string, n int) (h, w int, ok bool, err error) {
	if typ != "image" && !strings.HasPrefix(typ, "image:") {
		return 0, 0, false, nil
	}
	if typ == "image" {
		side := isqrt(n)
		if side*side != n {
			return 0, 0, false, fmt.Errorf("type image wants a square size, got %d", n)
		}
		return side, side, true, nil
	}
	hs, ws, found := strings.Cut(strings.TrimPrefix(typ, "image:"), "x")
	h, err1 := strconv.Atoi(hs)
	w, err2 := strconv.Atoi(ws)
	if !found || err1 != nil || err2 != nil || h <= 0 || w <= 0 {
		return 0, 0, false, fmt.Errorf("type %q: want image:HxW", typ)
	}
	if h*w != n {
		return 0, 0, false, fmt.Errorf("type %s does not fit size %d", typ, n)
	}
	return h, w, true, nil
}

// checkDims validates dims against shape: one per dimension, labels of the
// right length, a known type that fits.
func checkDims(name string, shape []int, dims []Dim) error {
	if len(dims) != len(shape) {
		return fmt.Errorf("tensor %q: %d dims for shape %v", name, len(dims), shape)
	}
	seen := map[string]bool{}
	for i, d := range dims {
		if d.Name == "" {
			return fmt.Errorf("tensor %q: dim %d has no name", name, i)
		}
		if seen[d.Name] {
			return fmt.Errorf("tensor %q: dim name %q repeated", name, d.Name)
		}
		seen[d.Name] = true
		if d.Labels != nil && len(d.Labels) != shape[i] {
			return fmt.Errorf("tensor %q: dim %q has %d labels for size %d", name, d.Name, len(d.Labels), shape[i])
		}
		switch {
		case d.Type == "" || d.Type == "seq":
		default:
			if _, _, ok, err := imageSize(d.Type, shape[i]); err != nil {
				return fmt.Errorf("tensor %q: dim %q: %w", name, d.Name, err)
			} else if !ok {
				return fmt.Errorf("tensor %q: dim %q: unknown type %q (want seq, image or image:HxW)", name, d.Name, d.Type)
			}
		}
	}
	return nil
}
