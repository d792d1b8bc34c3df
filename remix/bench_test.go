package remix

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

// The day tables as the commands run them (remix -day 4b, remix -day 3),
// from the loaded model on: sampling, treeifying, building, compiling and
// running every scrub. cmd/remix/testdata/walltime.sh compares the whole
// commands with the PyTorch scripts.

func BenchmarkDay4bTable(b *testing.B) {
	_, pc, ds := loadDay4b(b)
	exps := ParenExperiments()
	for b.Loop() {
		if _, err := RunParen(b.Context(), pc.Loss, ds, exps, 1000, 1, scrub.RunOptions{}, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDay3Table(b *testing.B) {
	_, loss, ds := loadDay3(b)
	for b.Loop() {
		if _, err := RunDay3(b.Context(), day3Dir, loss, ds, 2000, 0, tensor.Float32); err != nil {
			b.Fatal(err)
		}
	}
}

// One scrub of each day given its samples (what Experiment.Run times:
// gather, build, run; compiled on a warm-up run outside the timer), as the
// PyTorch timing scripts time the same scrub on the same samples:
// testdata/day4b/scrub_timing.py and testdata/day3/scrub_timing.py, fed by
// TestWriteScrubTimingFixture. testdata/scrub/timing_days.txt keeps the
// figures.

const (
	day4bTimingHyp, day4bTimingN, day4bTimingSeed = "4.json", 1000, 1
	day3TimingHyp, day3TimingN, day3TimingSeed    = "all_paths.json", 2000, 0
)

func day4bTimingScrub(t testing.TB) (*scrub.Experiment, *scrub.Samples) {
	_, pc, ds := loadDay4b(t)
	ex, s, err := scrub.PrepareFile(filepath.Join(day4bDir, "hypotheses", day4bTimingHyp), pc.Loss, ds, day4bTimingN, day4bTimingSeed)
	if err != nil {
		t.Fatal(err)
	}
	return ex, s
}

func day3TimingScrub(t testing.TB) (*scrub.Experiment, *scrub.Samples) {
	_, loss, ds := loadDay3(t)
	ex, s, err := scrub.PrepareFile(filepath.Join(day3Dir, day3TimingHyp), loss, ds, day3TimingN, day3TimingSeed)
	if err != nil {
		t.Fatal(err)
	}
	return ex, s
}

func BenchmarkDay4bScrub(b *testing.B) { benchScrubRun(b, day4bTimingScrub) }

func BenchmarkDay3Scrub(b *testing.B) { benchScrubRun(b, day3TimingScrub) }

func benchScrubRun(b *testing.B, load func(testing.TB) (*scrub.Experiment, *scrub.Samples)) {
	ex, s := load(b)
	if _, err := ex.Run(s, scrub.RunOptions{}); err != nil { // compiles
		b.Fatal(err)
	}
	cpu0 := processCPU(b)
	for b.Loop() {
		if _, err := ex.Run(s, scrub.RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}

// processCPU is the process's CPU time (user+system, every thread).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestWriteScrubTimingFixture writes, when REMIX_TIMING_FIXTURE names a
// directory, what the timing scripts read: each day's samples
// (day4b.npz, day3.npz) and circopt's float32 result on them (day4b.json,
// day3.json), which the scripts check their numbers against.
func TestWriteScrubTimingFixture(t *testing.T) {
	dir := os.Getenv("REMIX_TIMING_FIXTURE")
	if dir == "" {
		t.Skip("REMIX_TIMING_FIXTURE not set")
	}
	for name, load := range map[string]func(testing.TB) (*scrub.Experiment, *scrub.Samples){"day4b": day4bTimingScrub, "day3": day3TimingScrub} {
		ex, s := load(t)
		if err := ex.DumpSamples(filepath.Join(dir, name+".npz"), s); err != nil {
			t.Fatal(err)
		}
		r, err := ex.Run(s, scrub.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), js, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
