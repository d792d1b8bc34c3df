package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/remix"
)

func TestGroupSeeds(t *testing.T) {
	rows := []remix.Row{
		{Experiment: "baseline", Model: "A", TestAcc: 0.9},
		{Experiment: "baseline", Model: "B", TestAcc: 0.8},
		{Experiment: "resample_first_0", Model: "A", TestAcc: 0.2},
		{Experiment: "resample_first_0", Model: "B", TestAcc: 0.5},
		{Experiment: "resample_first_1", Model: "A", TestAcc: 0.4},
		{Experiment: "resample_first_1", Model: "B", TestAcc: 0.5},
		{Experiment: "resample_first_2", Model: "A", TestAcc: 0.3},
	}
	exps, models, g := groupSeeds(rows, accuracyMetric.value)
	if strings.Join(exps, ",") != "baseline,resample_first" || strings.Join(models, ",") != "A,B" {
		t.Fatalf("experiments %v, models %v", exps, models)
	}
	a := g[[2]string{"resample_first", "A"}]
	if a.n != 3 || math.Abs(a.mean-0.3) > 1e-12 || a.lo != 0.2 || a.hi != 0.4 {
		t.Errorf("resample_first A = %+v, want mean 0.3 over 3 in [0.2, 0.4]", *a)
	}
	if b := g[[2]string{"baseline", "B"}]; b.n != 1 || b.mean != 0.8 || b.lo != 0.8 || b.hi != 0.8 {
		t.Errorf("baseline B = %+v", *b)
	}
}

// The charts carry a chance line (1/10 for accuracy, ln 10 for the loss)
// and say when bars are seed means.
func TestMetricPlotChanceAndSeeds(t *testing.T) {
	rows := []remix.Row{
		{Experiment: "baseline", Model: "A", TestAcc: 0.9, TestLoss: 0.6},
		{Experiment: "zero_first", Model: "A", TestAcc: 0.1, TestLoss: 2.6},
	}
	p, err := metricPlot(rows, accuracyMetric)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Title.Text, "seeds") {
		t.Errorf("single-seed title %q mentions seeds", p.Title.Text)
	}
	rows = append(rows, remix.Row{Experiment: "patch_skip_only_0", Model: "A", TestAcc: 0.5, TestLoss: 1},
		remix.Row{Experiment: "patch_skip_only_1", Model: "A", TestAcc: 0.6, TestLoss: 1.1})
	for _, m := range []metric{accuracyMetric, lossMetric} {
		p, err := metricPlot(rows, m)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Title.Text, "mean over seeds") {
			t.Errorf("%s: title %q does not say bars are seed means", m.file, p.Title.Text)
		}
		if p.Y.Max < m.chance {
			t.Errorf("%s: y range up to %v hides the chance line at %v", m.file, p.Y.Max, m.chance)
		}
	}
	if math.Abs(lossMetric.chance-2.302585) > 1e-6 || accuracyMetric.chance != 0.1 {
		t.Errorf("chance levels %v %v", accuracyMetric.chance, lossMetric.chance)
	}
}

// Both models are drawn on one scale: the largest mistake count and the
// weight quantile over both.
func TestSharedScales(t *testing.T) {
	w := func(v float64) []float64 {
		x := make([]float64, remix.Classes*remix.Pixels)
		for i := range x {
			x[i] = v
		}
		return x
	}
	figs := []remix.ModelFigure{
		{Name: "A", Confusion: [][]int{{90, 3}, {1, 80}}, LastWeights: mustTensor(t, []int{remix.Classes, remix.Pixels}, w(0.01))},
		{Name: "B", Confusion: [][]int{{99, 7}, {2, 70}}, LastWeights: mustTensor(t, []int{remix.Classes, remix.Pixels}, w(-0.5))},
	}
	confMax, lim := sharedScales(figs)
	if confMax != 7 {
		t.Errorf("shared confusion max %d, want 7 (model B's)", confMax)
	}
	if lim != 0.5 {
		t.Errorf("shared weight limit %v, want 0.5 (model B's)", lim)
	}
}

// -plot-format svg writes the same figures as SVG through gonum/plot.
func TestWritePlotsSVG(t *testing.T) {
	good := mustTensor(t, []int{remix.Classes, remix.Pixels}, make([]float64, remix.Classes*remix.Pixels))
	figs := []remix.ModelFigure{{Name: "A", Confusion: [][]int{{5, 1}, {0, 5}}, LastWeights: good}}
	rows := []remix.Row{{Experiment: "baseline", Model: "A", TestAcc: 0.9, TestLoss: 0.5}}
	dir := t.TempDir()
	paths, err := writePlots(dir, "svg", figs, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"confusion_A.svg", "last_weights_A.svg", "accuracy.svg", "loss.svg"}
	if len(paths) != len(want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}
	for i, p := range paths {
		if p != filepath.Join(dir, want[i]) {
			t.Errorf("path %d = %s, want %s", i, p, want[i])
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "<?xml") || !strings.Contains(string(b), "<svg") {
			t.Errorf("%s is not SVG: %.60q", want[i], b)
		}
	}
}
