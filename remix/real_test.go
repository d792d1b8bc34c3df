package remix

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// modelDir is where the notebook's model_a.pickle and model_b.pickle live,
// relative to this package.
var modelDir = filepath.Join("..", "..", "shared", "remix")

// realData returns the MNIST test set, skipping t when it or the
// notebook's models are not present.
func realData(t *testing.T) (*tensor.Tensor, []int) {
	t.Helper()
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
	return images, labels
}

// TestNotebookFindings runs the experiments on the real models and the
// MNIST test set and checks the notebook's numbers: the baseline accuracies
// PyTorch gets on these weights, and the ablation findings (A depends on
// first's features, B on the skip connection). It runs the full table
// (both models, all twelve experiments) with the default evaluator.
func TestNotebookFindings(t *testing.T) {
	images, labels := realData(t)
	names := ExperimentNames(DefaultSeeds)
	rows, err := RunDir(t.Context(), modelDir, images, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	acc := map[string]float64{}
	for _, r := range rows {
		acc[r.Model+" "+r.Experiment] = r.TestAcc
		t.Logf("%-20s %s loss %.4f acc %.4f", r.Experiment, r.Model, r.TestLoss, r.TestAcc)
		if r.TestLoss <= 0 || r.TestLoss > 10 {
			t.Errorf("%s %s: implausible loss %v", r.Model, r.Experiment, r.TestLoss)
		}
	}
	if len(rows) != 2*len(names) {
		t.Fatalf("%d rows, want %d", len(rows), 2*len(names))
	}
	// rows are ordered by experiment, then model, as show_results()
	for i, r := range rows {
		if r.Experiment != names[i/2] || r.Model != ModelFiles[i%2].Name {
			t.Fatalf("row %d is %s %s, want %s %s", i, r.Experiment, r.Model, names[i/2], ModelFiles[i%2].Name)
		}
	}
	within := func(key string, lo, hi float64) {
		t.Helper()
		if v := acc[key]; v < lo || v > hi {
			t.Errorf("%s accuracy %.4f outside [%.4f, %.4f]", key, v, lo, hi)
		}
	}
	within("A baseline", 0.9792-0.00005, 0.9792+0.00005)
	within("B baseline", 0.9769-0.00005, 0.9769+0.00005)
	within("A mean_relu", 0.30, 0.48)
	within("B mean_relu", 0.80, 0.93)
	// zero ablation: A near chance, B only somewhat hurt
	within("A zero_first", 0, 0.3)
	within("B zero_first", 0.5, 0.9)
	for _, s := range DefaultSeeds {
		seed := strconv.FormatUint(s, 10)
		within("A resample_first_"+seed, 0.05, 0.20)
		within("B resample_first_"+seed, 0.60, 0.80)
		within("A patch_skip_only_"+seed, acc["A baseline"]-0.10, 1)
		// patching the skip path hurts B much more than A
		within("B patch_skip_only_"+seed, 0, acc["A patch_skip_only_"+seed]-0.3)
		// resampling first's output and patching first's input are one function
		for _, m := range []string{"A", "B"} {
			if acc[m+" resample_first_"+seed] != acc[m+" patch_first_only_"+seed] {
				t.Errorf("%s: resample_first_%s and patch_first_only_%s differ", m, seed, seed)
			}
		}
	}
}

func TestCheckModelDir(t *testing.T) {
	dir := t.TempDir()
	if err := CheckModelDir(filepath.Join(dir, "nope")); err == nil {
		t.Error("missing directory accepted")
	}
	if err := CheckModelDir(dir); err == nil {
		t.Error("empty directory accepted")
	}
	f := filepath.Join(dir, "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckModelDir(f); err == nil {
		t.Error("a file accepted as the models directory")
	}
	for _, m := range ModelFiles {
		if err := os.WriteFile(filepath.Join(dir, m.File), []byte("not a pickle"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckModelDir(dir); err != nil {
		t.Errorf("directory with both files refused: %v", err)
	}
	if _, err := LoadModel(filepath.Join(dir, ModelFiles[0].File), 2); err == nil {
		t.Error("a corrupt pickle loaded")
	}
	_, x := randomImages(t, 2, 1)
	if _, err := RunDir(t.Context(), dir, x, []int{0, 1}, Options{}); err == nil {
		t.Error("RunDir over corrupt pickles succeeded")
	}
}

func TestRunModelOptions(t *testing.T) {
	const n = 4
	model := mustBuild(t, newToy(2).stateDict(t), n)
	_, x := randomImages(t, n, 3)
	labels := []int{0, 1, 2, 3}
	if _, err := RunModel(t.Context(), "T", model, x, labels, Options{Only: []string{"nope"}}); err == nil {
		t.Error("an unknown experiment name was accepted")
	}
	rows, err := RunModel(t.Context(), "T", model, x, labels, Options{Seeds: []uint64{5}, Only: []string{"patch_skip_only_5", "baseline"}})
	if err != nil {
		t.Fatal(err)
	}
	// rows follow ExperimentNames order, not the order of Only
	if len(rows) != 2 || rows[0].Experiment != "baseline" || rows[1].Experiment != "patch_skip_only_5" || rows[0].Model != "T" {
		t.Fatalf("rows %+v", rows)
	}
	if _, err := RunModel(t.Context(), "T", model, x, labels[:3], Options{}); err == nil {
		t.Error("too few labels accepted")
	}
	if _, err := RunDir(t.Context(), t.TempDir(), x, labels, Options{}); err == nil {
		t.Error("RunDir of an empty directory succeeded")
	}
}
