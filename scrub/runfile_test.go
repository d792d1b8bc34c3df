package scrub

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
)

// day4a is the day 4a example's model and dataset.
func day4a(t testing.TB) (circuit.Circuit, *Dataset) {
	t.Helper()
	ds, err := LoadDataset("../examples/day4a/data.npz")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := circuit.ParseFile("../examples/day4a/model.circ", circuit.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cs[0], ds
}

// RunFile is the loop it replaces: load, correspond, experiment, sample, run.
func TestRunFileIsTheLoop(t *testing.T) {
	model, ds := day4a(t)
	for _, f := range []string{"hypothesis.json", "shuffled_labels.json", "ex2a_x0_to_A_random.json"} {
		path := filepath.Join("..", "examples", "day4a", f)
		got, err := RunFile(path, model, ds, 500, 3, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		h, err := LoadHypothesis(path)
		if err != nil {
			t.Fatal(err)
		}
		corr, err := h.Correspondence(ds)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := NewExperiment(model, ds, corr)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ex.Sample(500, 3)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ex.Run(s, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Scrubbed != want.Scrubbed || got.Original != want.Original || got.Random != want.Random {
			t.Errorf("%s: RunFile %+v, the loop %+v", f, got, want)
		}
		// Prepare draws the same samples
		_, ps, err := PrepareFile(path, model, ds, 500, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ps.Ref, s.Ref) || len(ps.Datum) != len(s.Datum) {
			t.Errorf("%s: PrepareFile drew other samples", f)
		}
	}
}

// Each failure is one line that names the file.
func TestRunFileErrorsNameTheFile(t *testing.T) {
	model, ds := day4a(t)
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.json"), "missing.json"},
		{write("syntax.json", "{\"nodes\": [\n{\"name\": }]}"), "syntax.json:2:"},
		{write("column.json", `{"nodes": [{"name": "out"}, {"name": "a", "parent": "out", "match": "'A'", "agree_on": ["nope"]}]}`), "column.json:1:"},
		{write("nomatch.json", `{"nodes": [{"name": "out"}, {"name": "a", "parent": "out", "match": "'no such node'"}]}`), "nomatch.json"},
	} {
		_, err := RunFile(tc.path, model, ds, 10, 1, RunOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", tc.path, err, tc.want)
		}
	}
	if _, _, err := PrepareFile(filepath.Join("..", "examples", "day4a", "hypothesis.json"), model, ds, 0, 1); err == nil || !strings.Contains(err.Error(), "hypothesis.json") {
		t.Errorf("n = 0: error %v, want one naming the file", err)
	}
}
