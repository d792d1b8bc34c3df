package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

// Result is one table row.
type Result struct {
	Name          string
	Naive, Opt    time.Duration // medians
	FLOPs         int64         // per optimized run (op-table estimate)
	PeakBytes     int64         // measured by the fast runtime
	PlanPeak      int64         // passes' memory plan prediction
	RuntimePred   int64         // the runtime schedule's prediction
	Numpy         time.Duration // 0 when not measured
	MaxAbsErr     float64       // optimized vs naive
	CompileTime   time.Duration
	Values        int // values in the optimized program
	NaiveNodes    int
	CircuitsCount int
}

// Ratio is naive time over optimized time.
func (r Result) Ratio() float64 { return r.Naive.Seconds() / r.Opt.Seconds() }

// GFLOPs is the optimized run's rate.
func (r Result) GFLOPs() float64 { return float64(r.FLOPs) / r.Opt.Seconds() / 1e9 }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// Naive evaluates every circuit separately with the reference evaluator.
func Naive(c *Case) ([]*tensor.Tensor, error) {
	out := make([]*tensor.Tensor, len(c.Circuits))
	for i, ci := range c.Circuits {
		t, err := circuit.Evaluate(ci, circuit.EvalOptions{DType: tensor.Float32, Bindings: c.Bindings})
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// Compile compiles a case's circuits into one plan.
func Compile(c *Case) (*circopt.Plan, error) {
	return circopt.Compile(c.Circuits, circopt.Options{DType: tensor.Float32})
}

// Measure times a case: naive and optimized runs interleaved (so machine
// load affects both alike), medians reported.
func Measure(c *Case, naiveReps, optReps int) (Result, error) {
	res := Result{Name: c.Name, CircuitsCount: len(c.Circuits)}
	t0 := time.Now()
	plan, err := Compile(c)
	if err != nil {
		return res, fmt.Errorf("%s: compile: %w", c.Name, err)
	}
	res.CompileTime = time.Since(t0)
	res.Values = len(plan.Program.Values)
	if res.PlanPeak, err = runtime.PredictPeak(plan.Program, tensor.Float32); err != nil {
		return res, fmt.Errorf("%s: predict peak: %w", c.Name, err)
	}
	// Warm up and check agreement with the naive evaluator.
	got, stats, err := plan.Run(c.Bindings)
	if err != nil {
		return res, fmt.Errorf("%s: run: %w", c.Name, err)
	}
	var naive, opt []time.Duration
	var want []*tensor.Tensor
	for i := 0; i < max(naiveReps, optReps); i++ {
		if i < naiveReps {
			t := time.Now()
			w, err := Naive(c)
			if err != nil {
				return res, fmt.Errorf("%s: naive: %w", c.Name, err)
			}
			naive = append(naive, time.Since(t))
			want = w
		}
		// Several optimized runs per naive one: they are much shorter.
		for j := 0; j < (optReps+naiveReps-1)/max(1, naiveReps) && len(opt) < optReps; j++ {
			t := time.Now()
			if _, stats, err = plan.Run(c.Bindings); err != nil {
				return res, err
			}
			opt = append(opt, time.Since(t))
		}
	}
	for len(opt) < optReps {
		t := time.Now()
		if _, stats, err = plan.Run(c.Bindings); err != nil {
			return res, err
		}
		opt = append(opt, time.Since(t))
	}
	res.Naive, res.Opt = median(naive), median(opt)
	res.FLOPs = stats.TotalFLOPs
	res.PeakBytes = stats.PeakBytes
	res.RuntimePred = stats.PredictedPeakBytes
	for i := range got {
		abs, _, err := tensor.Compare(got[i], want[i])
		if err != nil {
			return res, err
		}
		res.MaxAbsErr = max(res.MaxAbsErr, abs)
	}
	return res, nil
}

// GemmResult compares the runtime's GEMM path with gonum's Sgemm on n×n.
type GemmResult struct {
	N             int
	Gonum, Circop time.Duration
}

// GFLOPs returns both rates.
func (g GemmResult) GFLOPs() (gonum, circopt float64) {
	f := 2 * float64(g.N) * float64(g.N) * float64(g.N)
	return f / g.Gonum.Seconds() / 1e9, f / g.Circop.Seconds() / 1e9
}

// MeasureGemm times blas32.Gemm directly and the runtime executing the
// einsum "ik,kj->ij" on the same data, interleaved.
func MeasureGemm(n, reps int) (GemmResult, error) {
	a, _ := tensor.RandN(tensor.Float32, []int{n, n}, 1)
	b, _ := tensor.RandN(tensor.Float32, []int{n, n}, 2)
	c := make([]float32, n*n)
	src := fmt.Sprintf("%%0 = input \"a\" : f32[%d,%d]\n%%1 = input \"b\" : f32[%d,%d]\n%%2 = einsum \"ik,kj->ij\" %%0 %%1 : f32[%d,%d]\noutput \"c\" %%2\n", n, n, n, n, n, n)
	p, err := ir.Parse("gemm.ir", []byte(src), nil)
	if err != nil {
		return GemmResult{}, err
	}
	in := map[string]*tensor.Tensor{"a": a, "b": b}
	ga := blas32.General{Rows: n, Cols: n, Stride: n, Data: a.Float32Data()}
	gb := blas32.General{Rows: n, Cols: n, Stride: n, Data: b.Float32Data()}
	gc := blas32.General{Rows: n, Cols: n, Stride: n, Data: c}
	var g, r []time.Duration
	for i := 0; i < reps+1; i++ {
		t := time.Now()
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ga, gb, 0, gc)
		d1 := time.Since(t)
		t = time.Now()
		if _, _, err := runtime.Run(p, in, tensor.Float32); err != nil {
			return GemmResult{}, err
		}
		d2 := time.Since(t)
		if i > 0 { // the first pair warms up
			g, r = append(g, d1), append(r, d2)
		}
	}
	return GemmResult{N: n, Gonum: median(g), Circop: median(r)}, nil
}

// Python returns a python3 that imports numpy, or "".
func Python() string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(py, "-c", "import numpy").Run(); err == nil {
			return py
		}
	}
	return ""
}

// NumpyTimes runs numpy_cases.py (in dir) on the cases that have a numpy
// equivalent and returns median seconds by case name.
func NumpyTimes(py, dir string, cases []*Case, reps int, stderr io.Writer) (map[string]time.Duration, error) {
	type job struct {
		Name   string  `json:"name"`
		Kind   string  `json:"kind"`
		Shapes [][]int `json:"shapes"`
		Reps   int     `json:"reps"`
	}
	var jobs []job
	for _, c := range cases {
		if c.Numpy != "" {
			jobs = append(jobs, job{c.Name, c.Numpy, c.Shapes, reps})
		}
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	arg, _ := json.Marshal(jobs)
	cmd := exec.Command(py, dir+"/numpy_cases.py")
	cmd.Stdin = strings.NewReader(string(arg))
	cmd.Stderr = stderr
	cmd.Env = os.Environ()
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("numpy_cases.py: %w", err)
	}
	var secs map[string]float64
	if err := json.Unmarshal(outb, &secs); err != nil {
		return nil, fmt.Errorf("numpy_cases.py output: %w", err)
	}
	out := map[string]time.Duration{}
	for k, s := range secs {
		out[k] = time.Duration(s * float64(time.Second))
	}
	return out, nil
}
