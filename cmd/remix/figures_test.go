package main

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/tensor"
)

func mustTensor(t *testing.T, shape []int, v []float64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromFloat64(shape, v)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// decodePNG decodes path fully (so a truncated file fails) and returns its
// size and pixels.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: not a valid PNG: %v", path, err)
	}
	return img
}

// countNear counts the pixels of img near colour c
// (within 24 per channel).
func countNear(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			d := max(absDiff(r>>8, uint32(c.R)), absDiff(g>>8, uint32(c.G)), absDiff(bb>>8, uint32(c.B)))
			if d <= 24 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// writePlots writes the six files, each a valid PNG of its figure's size,
// and the weight figure uses both ends of its diverging scale.
func TestWritePlotsFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	w := make([]float64, remix.Classes*remix.Pixels)
	for i := range w {
		w[i] = r.NormFloat64() * 0.05
	}
	conf := make([][]int, remix.Classes)
	for i := range conf {
		conf[i] = make([]int, remix.Classes)
		for j := range conf[i] {
			conf[i][j] = r.IntN(20)
		}
		conf[i][i] = 950
	}
	figs := []remix.ModelFigure{
		{Name: "A", Confusion: conf, LastWeights: mustTensor(t, []int{remix.Classes, remix.Pixels}, w)},
		{Name: "B", Confusion: conf, LastWeights: mustTensor(t, []int{remix.Classes, remix.Pixels}, w)},
	}
	var rows []remix.Row
	for _, e := range remix.ExperimentNames(remix.DefaultSeeds) {
		rows = append(rows, remix.Row{Experiment: e, Model: "A", TestAcc: r.Float64()}, remix.Row{Experiment: e, Model: "B", TestAcc: r.Float64()})
	}
	dir := filepath.Join(t.TempDir(), "new", "figs") // created by writePlots
	paths, err := writePlots(dir, "png", figs, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		w, h int
	}{
		{"confusion_A.png", confusionWidth, confusionHeight},
		{"last_weights_A.png", weightsWidth, weightsHeight},
		{"confusion_B.png", confusionWidth, confusionHeight},
		{"last_weights_B.png", weightsWidth, weightsHeight},
		{"accuracy.png", accuracyWidth, accuracyHeight},
		{"loss.png", accuracyWidth, accuracyHeight},
	}
	if len(paths) != len(want) {
		t.Fatalf("paths %v, want %d files", paths, len(want))
	}
	for i, wnt := range want {
		if paths[i] != filepath.Join(dir, wnt.name) {
			t.Errorf("path %d = %s, want %s", i, paths[i], filepath.Join(dir, wnt.name))
		}
		img := decodePNG(t, paths[i])
		if b := img.Bounds(); b.Dx() != wnt.w || b.Dy() != wnt.h {
			t.Errorf("%s is %dx%d, want %dx%d", wnt.name, b.Dx(), b.Dy(), wnt.w, wnt.h)
		}
	}
	// the weight panels hold saturated blue and red (the clipped tails) and
	// the confusion matrix its darkest red (the largest mistake count)
	wimg := decodePNG(t, paths[1])
	if nb, nr := countNear(wimg, divergingStops[0]), countNear(wimg, divergingStops[len(divergingStops)-1]); nb < 100 || nr < 100 {
		t.Errorf("weights figure: %d dark-blue and %d dark-red pixels, want both ≥ 100", nb, nr)
	}
	if n := countNear(decodePNG(t, paths[0]), sequentialStops[len(sequentialStops)-1]); n < 100 {
		t.Errorf("confusion figure: %d darkest-red pixels, want ≥ 100", n)
	}
	// model colours of the bar chart
	aimg := decodePNG(t, paths[4])
	for j := range 2 {
		c := barColors[j].(color.RGBA)
		if n := countNear(aimg, c); n < 500 {
			t.Errorf("accuracy chart: %d pixels of model %d's colour, want ≥ 500", n, j)
		}
	}
}

func TestWritePlotsErrors(t *testing.T) {
	dir := t.TempDir()
	good := mustTensor(t, []int{remix.Classes, remix.Pixels}, make([]float64, remix.Classes*remix.Pixels))
	nan := make([]float64, remix.Classes*remix.Pixels)
	nan[3*remix.Pixels+5] = math.NaN()
	p := filepath.Join(dir, "x.png")
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"empty confusion", writeConfusion(p, "A", nil, 1), "empty confusion"},
		{"ragged confusion", writeConfusion(p, "A", [][]int{{1, 2}, {3}}, 1), "row 1 has 1 entries, want 2"},
		{"negative count", writeConfusion(p, "A", [][]int{{1, -2}, {3, 4}}, 1), "[0][1] is negative"},
		{"weights shape", writeLastWeights(p, "A", mustTensor(t, []int{remix.Pixels}, make([]float64, remix.Pixels)), 1), "shape [784]"},
		{"nil weights", writeLastWeights(p, "A", nil, 1), "shape []"},
		{"NaN weight", writeLastWeights(p, "A", mustTensor(t, []int{remix.Classes, remix.Pixels}, nan), 1), "weight 5 of digit 3 is NaN"},
		{"no rows", writeMetric(p, nil, accuracyMetric), "no rows"},
		{"accuracy range", writeMetric(p, []remix.Row{{Experiment: "e", Model: "A", TestAcc: 1.5}}, accuracyMetric), "out of range"},
		{"NaN loss", writeMetric(p, []remix.Row{{Experiment: "e", Model: "A", TestLoss: math.NaN()}}, lossMetric), "out of range"},
		{"zero colour limit", writeLastWeights(p, "A", good, 0), "not positive"},
		{"bad format", func() error { _, err := writePlots(dir, "gif", nil, nil); return err }(), "not png or svg"},
		{"unwritable", writeConfusion(filepath.Join(dir, "no", "such", "dir", "c.png"), "A", [][]int{{1}}, 1), "no such"},
		{"dir is a file", func() error {
			f := filepath.Join(dir, "file")
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := writePlots(f, "png", []remix.ModelFigure{{Name: "A", Confusion: [][]int{{1}}, LastWeights: good}}, nil)
			return err
		}(), "file"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, c.err, c.want)
		}
	}
	// an all-zero weight matrix and an all-correct confusion matrix still draw
	if err := writeLastWeights(p, "Z", good, 1); err != nil {
		t.Errorf("zero weights: %v", err)
	}
	if err := writeConfusion(p, "Z", [][]int{{5, 0}, {0, 5}}, 1); err != nil {
		t.Errorf("perfect confusion: %v", err)
	}
}

func TestLinearMap(t *testing.T) {
	m := newLinearMap(-2, 2, divergingStops)
	for _, c := range []struct {
		v    float64
		want color.RGBA
	}{
		{-2, divergingStops[0]},
		{-1, divergingStops[1]},
		{0, color.RGBA{255, 255, 255, 255}},
		{2, divergingStops[4]},
		// halfway between the stops at 0 (white) and 1 (214, 96, 77)
		{0.5, color.RGBA{235, 176, 166, 255}},
	} {
		got, err := m.At(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("At(%v) = %v, want %v", c.v, got, c.want)
		}
	}
	for _, v := range []float64{-2.01, 2.01, math.NaN()} {
		if _, err := m.At(v); err == nil {
			t.Errorf("At(%v): no error", v)
		}
	}
	pal := m.Palette(255).Colors()
	if len(pal) != 255 || pal[127] != (color.RGBA{255, 255, 255, 255}) || pal[0] != divergingStops[0] || pal[254] != divergingStops[4] {
		t.Errorf("palette: %d colours, middle %v, ends %v %v", len(pal), pal[127], pal[0], pal[254])
	}
}

func TestClipLimit(t *testing.T) {
	v := make([]float64, 100)
	for i := range v {
		v[i] = float64(i+1) * math.Pow(-1, float64(i)) // |v| = 1..100, signs alternate
	}
	if got := clipLimit(v, 0.98); got != 98 {
		t.Errorf("98%% quantile of 1..100 = %v, want 98", got)
	}
	if got := clipLimit(v, 1); got != 100 {
		t.Errorf("100%% quantile = %v, want 100", got)
	}
	if got := clipLimit(make([]float64, 5), 0.98); got != 1 {
		t.Errorf("all zero: %v, want 1", got)
	}
	if got := clipLimit(nil, 0.98); got != 1 {
		t.Errorf("empty: %v, want 1", got)
	}
}
