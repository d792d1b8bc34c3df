package main

import (
	"errors"
	"image/color"
	"math"

	"gonum.org/v1/plot/palette"
)

// Colour stops (RGB at evenly spaced points of the range): white to dark
// red for counts; ColorBrewer RdBu's ends through white for weights.
var (
	sequentialStops = []color.RGBA{{255, 255, 255, 255}, {252, 187, 161, 255}, {239, 59, 44, 255}, {103, 0, 13, 255}}
	divergingStops  = []color.RGBA{{5, 48, 97, 255}, {67, 147, 195, 255}, {255, 255, 255, 255}, {214, 96, 77, 255}, {103, 0, 31, 255}}
)

// linearMap is a palette.ColorMap interpolating linearly between evenly
// spaced colour stops over [min, max]; gonum/plot's moreland maps have a grey,
// not white, middle, and the notebook's figures want white at zero.
type linearMap struct {
	min, max, alpha float64
	stops           []color.RGBA
}

var _ palette.ColorMap = (*linearMap)(nil)

func newLinearMap(lo, hi float64, stops []color.RGBA) *linearMap {
	return &linearMap{min: lo, max: hi, alpha: 1, stops: stops}
}

var errOutOfRange = errors.New("remix: value outside the colour map's range")

func (m *linearMap) At(v float64) (color.Color, error) {
	if math.IsNaN(v) || v < m.min || v > m.max {
		return nil, errOutOfRange
	}
	t := 0.0
	if m.max > m.min {
		t = (v - m.min) / (m.max - m.min)
	}
	pos := t * float64(len(m.stops)-1)
	i := min(int(pos), len(m.stops)-2)
	f := pos - float64(i)
	a, b := m.stops[i], m.stops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round((float64(x)*(1-f) + float64(y)*f) * m.alpha)) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), uint8(math.Round(255 * m.alpha))}, nil
}

func (m *linearMap) Max() float64     { return m.max }
func (m *linearMap) Min() float64     { return m.min }
func (m *linearMap) SetMax(v float64) { m.max = v }
func (m *linearMap) SetMin(v float64) { m.min = v }
func (m *linearMap) Alpha() float64   { return m.alpha }
func (m *linearMap) SetAlpha(a float64) {
	m.alpha = math.Max(0, math.Min(1, a))
}

// Palette samples n colours evenly over [min, max], ends included.
func (m *linearMap) Palette(n int) palette.Palette {
	cs := make([]color.Color, max(n, 1))
	for i := range cs {
		v := m.min
		if len(cs) > 1 {
			v += (m.max - m.min) * float64(i) / float64(len(cs)-1)
		}
		c, err := m.At(math.Min(v, m.max))
		if err != nil {
			c = color.Black
		}
		cs[i] = c
	}
	return plainPalette(cs)
}

type plainPalette []color.Color

func (p plainPalette) Colors() []color.Color { return p }
