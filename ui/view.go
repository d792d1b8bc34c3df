package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxCells caps the values one slice response carries: a larger selection
// is stride-sampled (every step-th position along its shown axes) until it
// fits, so a huge tensor is never sent whole.
const MaxCells = 1 << 16

// reducers are the operations that fold a dimension the view does not show.
var reducers = map[string]bool{"mean": true, "max": true, "min": true, "norm": true, "sum": true}

// axis is one shown axis of a slice: facet, row or column.
type axis struct {
	Dim    int      `json:"dim"`              // source dimension, -1 when absent
	Name   string   `json:"name,omitempty"`   // the dimension's name
	Size   int      `json:"size"`             // positions sent
	Step   int      `json:"step"`             // source positions per sent position
	Full   int      `json:"full"`             // positions before sampling
	Labels []string `json:"labels,omitempty"` // labels of the sent positions
	coef   int      // offset per source position
}

// slice is the JSON answer of /api/slice.
type slice struct {
	Source string     `json:"source"`
	Shape  []int      `json:"shape"`
	Dims   []Dim      `json:"dims"`
	Sel    []string   `json:"sel"`
	F      axis       `json:"f"`
	Y      axis       `json:"y"`
	X      axis       `json:"x"`
	Data   jsonFloats `json:"data"` // F×Y×X values, C order; null for NaN and ±Inf
	Min    float64    `json:"min"`
	Max    float64    `json:"max"`
}

// defaultSel shows the last dimension as x (an image dimension as an
// image, faceted by the one before), a seq or only dimension as a line
// (faceted by the one before), else the last two as a heatmap, and indexes
// the rest at 0. The page starts from the same selection.
func defaultSel(shape []int, dims []Dim) []string {
	sel := make([]string, len(shape))
	for i := range sel {
		sel[i] = "0"
	}
	n := len(shape)
	if n == 0 {
		return sel
	}
	last, before := "x", "y"
	if _, _, ok, _ := imageSize(dims[n-1].Type, shape[n-1]); ok {
		last, before = "img", "f"
	} else if dims[n-1].Type == "seq" {
		before = "f"
	}
	sel[n-1] = last
	if n > 1 {
		sel[n-2] = before
	}
	return sel
}

// parseSel reads a selection: one comma-separated entry per dimension,
// each x, y, f (facet), img (an image dimension as rows and columns), an
// index (negative counts from the end) or a reducer (mean, max, min, norm,
// sum).
func parseSel(s string, shape []int, dims []Dim) ([]string, error) {
	if len(shape) == 0 && s == "" {
		return []string{}, nil
	}
	if s == "" {
		s = strings.Join(defaultSel(shape, dims), ",")
	}
	sel := strings.Split(s, ",")
	if len(sel) != len(shape) {
		return nil, fmt.Errorf("sel has %d entries for %d dimensions (shape %v)", len(sel), len(shape), shape)
	}
	used := map[string]bool{}
	for i, e := range sel {
		e = strings.TrimSpace(e)
		sel[i] = e
		switch {
		case e == "x" || e == "y" || e == "f" || e == "img":
			if used[e] {
				return nil, fmt.Errorf("sel: %s given twice", e)
			}
			used[e] = true
			if e == "img" {
				if _, _, ok, _ := imageSize(dims[i].Type, shape[i]); !ok {
					return nil, fmt.Errorf("sel: dim %d (%s) is not an image dimension", i, dims[i].Name)
				}
			}
		case reducers[e]:
		default:
			k, err := strconv.Atoi(e)
			if err != nil {
				return nil, fmt.Errorf("sel: entry %d is %q; want x, y, f, img, an index or mean|max|min|norm|sum", i, e)
			}
			if shape[i] == 0 {
				return nil, fmt.Errorf("sel: dim %d (%s) has size 0: show or reduce it", i, dims[i].Name)
			}
			if k < -shape[i] || k >= shape[i] {
				return nil, fmt.Errorf("sel: index %d out of range for dim %d (%s) of size %d", k, i, dims[i].Name, shape[i])
			}
		}
	}
	if used["img"] && (used["x"] || used["y"]) {
		return nil, fmt.Errorf("sel: img shows rows and columns itself; it does not go with x or y")
	}
	if used["y"] && !used["x"] {
		return nil, fmt.Errorf("sel: y without x")
	}
	return sel, nil
}

// view computes the selection sel (see parseSel) of data, a C-order
// tensor of the given shape, sampling the shown axes to at most MaxCells
// values.
func view(data []float64, shape []int, dims []Dim, sel []string) (*slice, error) {
	strides := make([]int, len(shape))
	st := 1
	for i := len(shape) - 1; i >= 0; i-- {
		strides[i] = st
		st *= shape[i]
	}
	out := &slice{Shape: shape, Dims: dims, Sel: sel}
	none := axis{Dim: -1, Size: 1, Step: 1, Full: 1}
	out.F, out.Y, out.X = none, none, none
	base := 0
	type red struct{ size, stride int }
	var reds []red
	op := ""
	for i, e := range sel {
		switch {
		case e == "x":
			out.X = axis{Dim: i, Name: dims[i].Name, Full: shape[i], coef: strides[i]}
		case e == "y":
			out.Y = axis{Dim: i, Name: dims[i].Name, Full: shape[i], coef: strides[i]}
		case e == "f":
			out.F = axis{Dim: i, Name: dims[i].Name, Full: shape[i], coef: strides[i]}
		case e == "img":
			h, w, _, _ := imageSize(dims[i].Type, shape[i])
			out.Y = axis{Dim: i, Name: dims[i].Name + ".row", Full: h, coef: w * strides[i]}
			out.X = axis{Dim: i, Name: dims[i].Name + ".col", Full: w, coef: strides[i]}
		case reducers[e]:
			if op != "" && op != e {
				return nil, fmt.Errorf("sel: one reducer per view (got %s and %s)", op, e)
			}
			op = e
			reds = append(reds, red{shape[i], strides[i]})
		default:
			k, _ := strconv.Atoi(e)
			if k < 0 {
				k += shape[i]
			}
			base += k * strides[i]
		}
	}
	// Offsets of the reduced sub-tensor, relative to a cell's offset.
	offs := []int{0}
	for _, r := range reds {
		next := make([]int, 0, len(offs)*r.size)
		for _, o := range offs {
			for k := 0; k < r.size; k++ {
				next = append(next, o+k*r.stride)
			}
		}
		offs = next
	}
	axes := []*axis{&out.F, &out.Y, &out.X}
	for _, a := range axes {
		if a.Dim >= 0 {
			a.Step = 1
		}
	}
	// Sample the largest axis more coarsely until the cells fit.
	for cells(axes) > MaxCells {
		big := axes[0]
		for _, a := range axes[1:] {
			if ceilDiv(a.Full, a.Step) > ceilDiv(big.Full, big.Step) {
				big = a
			}
		}
		big.Step *= 2
	}
	for _, a := range axes {
		a.Size = ceilDiv(a.Full, a.Step)
		if a.Dim >= 0 && dims[a.Dim].Labels != nil && !strings.HasPrefix(dims[a.Dim].Type, "image") {
			a.Labels = make([]string, a.Size)
			for p := range a.Labels {
				a.Labels[p] = dims[a.Dim].Labels[p*a.Step]
			}
		}
	}
	vals := make([]float64, 0, cells(axes))
	lo, hi := math.Inf(1), math.Inf(-1)
	for f := 0; f < out.F.Size; f++ {
		for y := 0; y < out.Y.Size; y++ {
			for x := 0; x < out.X.Size; x++ {
				at := base + f*out.F.Step*out.F.coef + y*out.Y.Step*out.Y.coef + x*out.X.Step*out.X.coef
				v := reduce(op, data, at, offs)
				vals = append(vals, v)
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					lo, hi = min(lo, v), max(hi, v)
				}
			}
		}
	}
	if lo > hi { // no finite value
		lo, hi = 0, 0
	}
	out.Data, out.Min, out.Max = vals, lo, hi
	return out, nil
}

func reduce(op string, data []float64, at int, offs []int) float64 {
	switch {
	case op == "":
		return data[at]
	case len(offs) == 0: // a reduced dimension of size 0
		return math.NaN()
	}
	switch op {
	case "max", "min":
		v := data[at+offs[0]]
		for _, o := range offs[1:] {
			if op == "max" {
				v = math.Max(v, data[at+o])
			} else {
				v = math.Min(v, data[at+o])
			}
		}
		return v
	case "norm":
		s := 0.0
		for _, o := range offs {
			s += data[at+o] * data[at+o]
		}
		return math.Sqrt(s)
	}
	s := 0.0
	for _, o := range offs {
		s += data[at+o]
	}
	if op == "mean" {
		s /= float64(len(offs))
	}
	return s
}

func cells(axes []*axis) int {
	n := 1
	for _, a := range axes {
		n *= ceilDiv(a.Full, a.Step)
	}
	return n
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// jsonFloats encodes as a JSON array with null for NaN and ±Inf, which
// JSON numbers cannot express.
type jsonFloats []float64

func (fs jsonFloats) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 12*len(fs)+2)
	b = append(b, '[')
	for i, v := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		bits := 32 // float32 precision is what circuits compute in, by default
		if math.Abs(v) > math.MaxFloat32 {
			bits = 64
		}
		b = strconv.AppendFloat(b, v, 'g', -1, bits)
	}
	return append(b, ']'), nil
}
