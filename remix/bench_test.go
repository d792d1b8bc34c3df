package remix

import (
	"testing"

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
