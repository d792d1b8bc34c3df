package remix

import (
	"math"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// Hand-worked: row 0 has logits [0, 0] and label 0 (a tie, which argmax
// gives to class 0: correct); row 1 has [ln 3, 0] and label 1, so
// p = [3/4, 1/4] and the prediction 0 is wrong.
func TestScoreLogitsHandWorked(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		logits, _ := tensor.FromFloat64([]int{2, 2}, []float64{0, 0, math.Log(3), 0})
		logits = logits.Cast(dt)
		s, err := ScoreLogits(logits, []int{0, 1}, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		row0 := math.Ln2
		row1 := 0.9*math.Log(4) + 0.1*(math.Log(4.0/3)+math.Log(4))/2
		if want := (row0 + row1) / 2; math.Abs(s.Loss-want) > 1e-6 {
			t.Errorf("%v: loss %v, want %v", dt, s.Loss, want)
		}
		if s.Acc != 0.5 {
			t.Errorf("%v: accuracy %v, want 0.5", dt, s.Acc)
		}
		// without smoothing the loss is plain cross-entropy
		s, _ = ScoreLogits(logits, []int{0, 1}, 0)
		if want := (math.Ln2 + math.Log(4)) / 2; math.Abs(s.Loss-want) > 1e-6 {
			t.Errorf("%v: eps=0 loss %v, want %v", dt, s.Loss, want)
		}
	}
}

func TestScoreLogitsErrors(t *testing.T) {
	l, _ := tensor.FromFloat64([]int{2, 3}, make([]float64, 6))
	v, _ := tensor.FromFloat64([]int{6}, make([]float64, 6))
	nan, _ := tensor.FromFloat64([]int{1, 2}, []float64{math.NaN(), 0})
	empty, _ := tensor.FromFloat64([]int{0, 3}, nil)
	cases := []struct {
		name   string
		logits *tensor.Tensor
		labels []int
		eps    float64
	}{
		{"nil", nil, nil, 0.1},
		{"rank 1", v, []int{0}, 0.1},
		{"label count", l, []int{0}, 0.1},
		{"label range", l, []int{0, 3}, 0.1},
		{"negative label", l, []int{-1, 0}, 0.1},
		{"eps", l, []int{0, 0}, 1.5},
		{"nan", nan, []int{0}, 0.1},
		{"empty", empty, []int{}, 0.1},
	}
	for _, c := range cases {
		if _, err := ScoreLogits(c.logits, c.labels, c.eps); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
