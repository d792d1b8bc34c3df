// Command benchtable runs circopt's benchmark suite and prints one table:
// naive and optimized medians, their ratio, GFLOP/s, measured and predicted
// peak bytes, and (when python3 with numpy is installed) numpy's time and
// the ratio numpy/optimized. Then GEMM efficiency against gonum's Sgemm.
package main

import (
	"flag"
	"fmt"
	"github.com/circopt/circopt/blas"
	"os"
	"path/filepath"
	goruntime "runtime"
	"time"

	"github.com/circopt/circopt/bench"
)

func main() {
	quick := flag.Bool("quick", false, "smaller cases and fewer repetitions")
	dir := flag.String("dir", "bench", "directory holding numpy_cases.py")
	flag.Parse()
	if err := run(*quick, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(quick bool, dir string) error {
	naiveReps, optReps, npReps, gemmReps := 3, 15, 15, 7
	if quick {
		naiveReps, optReps, npReps, gemmReps = 1, 3, 3, 2
	}
	cases, err := bench.Suite(quick)
	if err != nil {
		return err
	}
	start := time.Now()
	backend, err := blas.Ensure()
	if err != nil {
		return err
	}
	fmt.Printf("circopt bench: GOMAXPROCS=%d, float32, BLAS %s, medians (naive %d runs, optimized %d runs)\n\n", goruntime.GOMAXPROCS(0), backend, naiveReps, optReps)
	var results []bench.Result
	for _, c := range cases {
		r, err := bench.Measure(c, naiveReps, optReps)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	np := map[string]time.Duration{}
	py := bench.Python()
	if py != "" {
		abs, _ := filepath.Abs(dir)
		if np, err = bench.NumpyTimes(py, abs, cases, npReps, os.Stderr); err != nil {
			return err
		}
	}
	fmt.Printf("| case | naive | optimized | ratio | GFLOP/s | peak bytes | plan peak | peak/plan | runtime pred | numpy | numpy/opt | max abs err |\n")
	fmt.Printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		nps, npr := "-", "-"
		if d, ok := np[r.Name]; ok {
			nps, npr = fmtDur(d), fmt.Sprintf("%.2f", d.Seconds()/r.Opt.Seconds())
		}
		fmt.Printf("| %s | %s | %s | %.1f× | %.2f | %d | %d | %.2f | %d | %s | %s | %.2g |\n",
			r.Name, fmtDur(r.Naive), fmtDur(r.Opt), r.Ratio(), r.GFLOPs(), r.PeakBytes, r.PlanPeak,
			float64(r.PeakBytes)/float64(max(1, r.PlanPeak)), r.RuntimePred, nps, npr, r.MaxAbsErr)
	}
	if py == "" {
		fmt.Println("\n(numpy columns empty: no python3 with numpy; apt-get install python3-numpy libopenblas0-pthread)")
	} else {
		fmt.Printf("\n(numpy: %s)\n", py)
	}
	// the same backend called directly through gonum's blas32.Gemm, against
	// the runtime's contraction path on it
	fmt.Printf("\n| GEMM n | blas32.Gemm (%s) GFLOP/s | circopt einsum GFLOP/s | circopt/direct |\n|---:|---:|---:|---:|\n", backend.Name)
	sizes := []int{512, 1024}
	if quick {
		sizes = []int{256, 512}
	}
	for _, n := range sizes {
		g, err := bench.MeasureGemm(n, gemmReps)
		if err != nil {
			return err
		}
		a, b := g.GFLOPs()
		fmt.Printf("| %d | %.1f | %.1f | %.2f |\n", n, a, b, b/a)
	}
	fmt.Printf("\ntotal %s\n", time.Since(start).Round(time.Second))
	return nil
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	}
}
