package remix

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

func mustTensor(t *testing.T, shape []int, v []float64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromFloat64(shape, v)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// A hand-made case: 6 examples, 3 classes, one tie (first maximum wins, as
// torch.argmax and ScoreLogits).
func TestConfusionHandWorked(t *testing.T) {
	logits := mustTensor(t, []int{6, 3}, []float64{
		5, 1, 0, // true 0, predicted 0
		0, 2, 1, // true 0, predicted 1
		1, 1, 0, // true 2, tie between 0 and 1: predicted 0
		0, 0, 3, // true 2, predicted 2
		0, 4, 4, // true 1, tie between 1 and 2: predicted 1
		9, 0, 8, // true 1, predicted 0
	})
	labels := []int{0, 0, 2, 2, 1, 1}
	m, err := Confusion(logits, labels)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{
		{1, 1, 0},
		{1, 1, 0},
		{1, 0, 1},
	}
	if d := cmp.Diff(want, m); d != "" {
		t.Fatalf("confusion (-want +got):\n%s", d)
	}
	// the trace is the accuracy ScoreLogits reports
	s, err := ScoreLogits(logits, labels, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := float64(m[0][0]+m[1][1]+m[2][2]) / 6; got != s.Acc {
		t.Errorf("trace/n = %v, ScoreLogits accuracy %v", got, s.Acc)
	}

	off := OffDiagonal(m)
	if d := cmp.Diff([][]int{{0, 1, 0}, {1, 0, 0}, {1, 0, 0}}, off); d != "" {
		t.Errorf("off-diagonal (-want +got):\n%s", d)
	}
	if m[0][0] != 1 || m[2][2] != 1 {
		t.Errorf("OffDiagonal changed its argument: %v", m)
	}
}

func TestConfusionErrors(t *testing.T) {
	two := mustTensor(t, []int{2, 3}, make([]float64, 6))
	for _, c := range []struct {
		logits *tensor.Tensor
		labels []int
		want   string
	}{
		{nil, nil, "shape"},
		{mustTensor(t, []int{6}, make([]float64, 6)), []int{0}, "shape"},
		{two, []int{0}, "2 rows of logits but 1 labels"},
		{two, []int{0, 3}, "label 3 of example 1"},
		{two, []int{-1, 0}, "label -1 of example 0"},
		{mustTensor(t, []int{2, 0}, nil), []int{0, 0}, "no classes"},
	} {
		_, err := Confusion(c.logits, c.labels)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Confusion(%v, %v): error %v, want %q", c.logits, c.labels, err, c.want)
		}
	}
}

// BaselineLogits and LastWeights read the model a BuildModel circuit holds:
// the logits match the toy model's loops, the weights its last layer.
func TestBaselineLogitsAndLastWeights(t *testing.T) {
	toy := newToy(3)
	rows, x := randomImages(t, 5, 4)
	model := mustBuild(t, toy.stateDict(t), 5)
	want := toy.last(addRows(rows, relu(toy.first(rows))))
	for _, eval := range []EvalFunc{nil, NaiveEval} {
		got, err := BaselineLogits(model, x, Options{DType: tensor.Float64, Eval: eval})
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "baseline logits", got, want, 1e-9)
	}
	w, err := LastWeights(model)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(toy.w2, w.Float64s()); d != "" {
		t.Errorf("last.weight (-toy +got):\n%s", d)
	}
	x0, err := Input(5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LastWeights(x0); err == nil {
		t.Error("LastWeights of a circuit without last.weight: no error")
	}
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

// WritePlots writes the five files, each a valid PNG of its figure's size,
// and the weight figure uses both ends of its diverging scale.
func TestWritePlotsFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	w := make([]float64, Classes*Pixels)
	for i := range w {
		w[i] = r.NormFloat64() * 0.05
	}
	conf := make([][]int, Classes)
	for i := range conf {
		conf[i] = make([]int, Classes)
		for j := range conf[i] {
			conf[i][j] = r.IntN(20)
		}
		conf[i][i] = 950
	}
	figs := []ModelFigure{
		{Name: "A", Confusion: conf, LastWeights: mustTensor(t, []int{Classes, Pixels}, w)},
		{Name: "B", Confusion: conf, LastWeights: mustTensor(t, []int{Classes, Pixels}, w)},
	}
	var rows []Row
	for _, e := range ExperimentNames(DefaultSeeds) {
		rows = append(rows, Row{Experiment: e, Model: "A", TestAcc: r.Float64()}, Row{Experiment: e, Model: "B", TestAcc: r.Float64()})
	}
	dir := filepath.Join(t.TempDir(), "new", "figs") // created by WritePlots
	paths, err := WritePlots(dir, figs, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		w, h int
	}{
		{"confusion_A.png", ConfusionWidth, ConfusionHeight},
		{"last_weights_A.png", WeightsWidth, WeightsHeight},
		{"confusion_B.png", ConfusionWidth, ConfusionHeight},
		{"last_weights_B.png", WeightsWidth, WeightsHeight},
		{"accuracy.png", AccuracyWidth, AccuracyHeight},
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
	good := mustTensor(t, []int{Classes, Pixels}, make([]float64, Classes*Pixels))
	nan := make([]float64, Classes*Pixels)
	nan[3*Pixels+5] = math.NaN()
	p := filepath.Join(dir, "x.png")
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"empty confusion", WriteConfusionPNG(p, "A", nil), "empty confusion"},
		{"ragged confusion", WriteConfusionPNG(p, "A", [][]int{{1, 2}, {3}}), "row 1 has 1 entries, want 2"},
		{"negative count", WriteConfusionPNG(p, "A", [][]int{{1, -2}, {3, 4}}), "[0][1] is negative"},
		{"weights shape", WriteLastWeightsPNG(p, "A", mustTensor(t, []int{Pixels}, make([]float64, Pixels))), "shape [784]"},
		{"nil weights", WriteLastWeightsPNG(p, "A", nil), "shape []"},
		{"NaN weight", WriteLastWeightsPNG(p, "A", mustTensor(t, []int{Classes, Pixels}, nan)), "weight 5 of digit 3 is NaN"},
		{"no rows", WriteAccuracyPNG(p, nil), "no rows"},
		{"accuracy range", WriteAccuracyPNG(p, []Row{{Experiment: "e", Model: "A", TestAcc: 1.5}}), "outside [0, 1]"},
		{"unwritable", WriteConfusionPNG(filepath.Join(dir, "no", "such", "dir", "c.png"), "A", [][]int{{1}}), "no such"},
		{"dir is a file", func() error {
			f := filepath.Join(dir, "file")
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := WritePlots(f, []ModelFigure{{Name: "A", Confusion: [][]int{{1}}, LastWeights: good}}, nil)
			return err
		}(), "file"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, c.err, c.want)
		}
	}
	// an all-zero weight matrix and an all-correct confusion matrix still draw
	if err := WriteLastWeightsPNG(p, "Z", good); err != nil {
		t.Errorf("zero weights: %v", err)
	}
	if err := WriteConfusionPNG(p, "Z", [][]int{{5, 0}, {0, 5}}); err != nil {
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

// On the real models: every confusion matrix covers the 10000 test images,
// its trace is the baseline accuracy the notebook reports (A 0.9792,
// B 0.9769), so the plotted off-diagonal counts sum to 10000 minus the
// trace; and model B's last-layer weights look like digits (each row
// correlates with its class's mean image) far more than model A's, the
// notebook's observation the weight figure shows.
func TestFigureDataReal(t *testing.T) {
	if err := CheckModelDir(modelDir); err != nil {
		t.Skip("../shared/remix not present: " + err.Error())
	}
	mnist, err := weights.MNISTDir()
	if err != nil {
		t.Skip("MNIST test set not present: " + err.Error())
	}
	images, labels, err := weights.LoadMNISTTest(mnist)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := FigureData(modelDir, images, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantAcc := map[string]int{"A": 9792, "B": 9769}
	template := map[string]float64{}
	for _, f := range figs {
		total, trace := 0, 0
		for i, row := range f.Confusion {
			for j, v := range row {
				total += v
				if i == j {
					trace += v
				}
			}
		}
		off := 0
		for _, row := range OffDiagonal(f.Confusion) {
			for _, v := range row {
				off += v
			}
		}
		if total != TestSetSize || trace != wantAcc[f.Name] || off != TestSetSize-trace {
			t.Errorf("model %s: total %d, trace %d, off-diagonal %d; want %d, %d, %d", f.Name, total, trace, off, TestSetSize, wantAcc[f.Name], TestSetSize-wantAcc[f.Name])
		}
		template[f.Name] = meanTemplateCorrelation(f.LastWeights.Float64s(), images.Float64s(), labels)
		t.Logf("model %s: mean correlation of last.weight rows with class-mean images %.3f", f.Name, template[f.Name])
	}
	// measured: A 0.077, B 0.273
	if template["B"] < 0.2 || template["B"] < 3*template["A"] {
		t.Errorf("template correlation A %.3f, B %.3f: want B's digits to show (B ≥ 0.2 and ≥ 3×A)", template["A"], template["B"])
	}
}

// meanTemplateCorrelation averages over digits d the Pearson correlation of
// weight row d with the mean test image of class d minus the mean image.
func meanTemplateCorrelation(w, x []float64, labels []int) float64 {
	var mean [Pixels]float64
	var class [Classes][Pixels]float64
	var count [Classes]float64
	for n, y := range labels {
		for p := range Pixels {
			v := x[n*Pixels+p]
			mean[p] += v / float64(len(labels))
			class[y][p] += v
		}
		count[y]++
	}
	var sum float64
	for d := range Classes {
		a, b := make([]float64, Pixels), make([]float64, Pixels)
		for p := range Pixels {
			a[p] = w[d*Pixels+p]
			b[p] = class[d][p]/count[d] - mean[p]
		}
		sum += pearson(a, b)
	}
	return sum / Classes
}

func pearson(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i] / float64(len(a))
		mb += b[i] / float64(len(b))
	}
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

// Confusion counts (true class, predicted class) pairs; OffDiagonal is
// what the confusion figure draws.
func ExampleConfusion() {
	logits, _ := tensor.FromFloat64([]int{4, 2}, []float64{
		2, 1, // true 0, predicted 0
		0, 3, // true 0, predicted 1
		1, 4, // true 1, predicted 1
		5, 0, // true 1, predicted 0
	})
	m, _ := Confusion(logits, []int{0, 0, 1, 1})
	fmt.Println(m, OffDiagonal(m))
	// Output: [[1 1] [1 1]] [[0 1] [1 0]]
}
