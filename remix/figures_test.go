package remix

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
		got, err := BaselineLogits(t.Context(), model, x, Options{DType: tensor.Float64, Eval: eval})
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

// On the real models: every confusion matrix covers the 10000 test images,
// its trace is the baseline accuracy the notebook reports (A 0.9792,
// B 0.9769), so the plotted off-diagonal counts sum to 10000 minus the
// trace; and model B's last-layer weights look like digits (each row
// correlates with its class's mean image) far more than model A's, the
// notebook's observation the weight figure shows.
func TestFigureDataReal(t *testing.T) {
	images, labels := realData(t)
	figs, err := FigureData(t.Context(), modelDir, images, labels, Options{})
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
