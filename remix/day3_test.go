package remix

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

const day3Dir = "../examples/day3"

func loadDay3(t testing.TB) (*Day3Model, circuit.Circuit, *scrub.Dataset) {
	t.Helper()
	m, err := LoadDay3Model(filepath.Join(day3Dir, "model.circ"), filepath.Join(day3Dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	loss, err := Day3Loss(m, Day3TrainedHeads, Day3Seq)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := scrub.LoadDataset(filepath.Join(day3Dir, "data.npz"))
	if err != nil {
		t.Fatal(err)
	}
	return m, loss, ds
}

// example is row i of the dataset's token ids.
func example(t *testing.T, ds *scrub.Dataset, i int) []int64 {
	t.Helper()
	x, err := ds.Gather(Day3Input, []int{i}, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, x.Size())
	for j, v := range x.Float64Data() {
		ids[j] = int64(v)
	}
	return ids
}

func maxAbsDiff(t *testing.T, a, b *tensor.Tensor) float64 {
	t.Helper()
	d, _, err := tensor.Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The shipped model file, loaded through modlib, gives PyTorch's logits.
func TestDay3LogitsMatchTorch(t *testing.T) {
	m, _, _ := loadDay3(t)
	ref, err := weights.LoadNpz("../testdata/day3/logits_torch.npz")
	if err != nil {
		t.Fatal(err)
	}
	ids, want := ref["tok_ids"], ref["logits"]
	rows, seq := ids.Dim(0), ids.Dim(1)
	all := ids.Int64Data()
	for r := 0; r < rows; r++ {
		got, err := m.Logits(all[r*seq:(r+1)*seq], tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		w, err := tensor.Gather(want, 0, []int64{int64(r)})
		if err != nil {
			t.Fatal(err)
		}
		if w, err = w.Reshape(got.Shape()); err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(t, got, w); d > 1e-4 {
			t.Errorf("example %d: logits differ from PyTorch's by %g", r, d)
		}
	}
}

// The Go-built loss circuit's logits are the model file's.
func TestDay3LossCircuitIsTheModel(t *testing.T) {
	m, loss, ds := loadDay3(t)
	ids := example(t, ds, 3)
	got, err := Day3Node(loss, "t.logits", ids, m.Vocab(), tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Logits(ids[:Day3Seq], tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, got, want); d > 1e-9 {
		t.Errorf("loss circuit logits differ from model.circ's by %g", d)
	}
}

// loss.circ is the circuit Day3Loss builds now.
func TestDay3LossFileCurrent(t *testing.T) {
	_, loss, _ := loadDay3(t)
	text, err := os.ReadFile(filepath.Join(day3Dir, "loss.circ"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := weights.OpenStore(filepath.Join(day3Dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := circuit.ParseCircuits(string(text), circuit.ParseOptions{File: "loss.circ", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if circuit.PrintCircuits(cs, circuit.PrintOptions{}) != circuit.PrintCircuits([]circuit.Circuit{loss}, circuit.PrintOptions{}) {
		t.Error("examples/day3/loss.circ is stale: run go run ./examples/day3")
	}
}

// headScores are, per head of the [heads, q, k] attention p, the mean
// attention from each repeated position to the one after the earlier
// occurrence of its token (induction), and to the previous position.
func headScores(p *tensor.Tensor, ids []int64, rep []float64) (ind, prev []float64) {
	h, n := p.Dim(0), p.Dim(1)
	v := p.Float64Data()
	ind, prev = make([]float64, h), make([]float64, h)
	cnt := 0
	for q := 1; q < n; q++ {
		for k := 0; k < h; k++ {
			prev[k] += v[k*n*n+q*n+q-1] / float64(n-1)
		}
		if rep[q] == 0 {
			continue
		}
		for j := q - 1; j > 0; j-- {
			if ids[j] == ids[q] && ids[j+1] == ids[q+1] {
				for k := 0; k < h; k++ {
					ind[k] += v[k*n*n+q*n+j+1]
				}
				cnt++
				break
			}
		}
	}
	for k := range ind {
		ind[k] /= float64(max(cnt, 1))
	}
	return ind, prev
}

// layerScores are headScores of every head of one layer, averaged over
// the first examples of ds: chosen come from node+chosen's attention, the
// rest from node+rest's.
func layerScores(t *testing.T, m *Day3Model, loss circuit.Circuit, ds *scrub.Dataset, chosen, rest string, induction bool) (in, out []float64) {
	const examples = 40
	for i := 0; i < examples; i++ {
		ids := example(t, ds, i)
		rep, err := ds.Gather(Day3Mask, []int{i}, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		for k, node := range []string{chosen, rest} {
			p, err := Day3Node(loss, node+".attn_probs", ids, m.Vocab(), tensor.Float64)
			if err != nil {
				t.Fatal(err)
			}
			ind, prev := headScores(p, ids, rep.Float64Data())
			s := prev
			if induction {
				s = ind
			}
			dst := &in
			if k == 1 {
				dst = &out
			}
			if *dst == nil {
				*dst = make([]float64, len(s))
			}
			for h := range s {
				(*dst)[h] += s[h] / examples
			}
		}
	}
	return in, out
}

// Day3TrainedHeads are what the day says, on the data: the split is by
// score (training/induction/out/report.json), so every chosen head attends
// mostly where its name says (from a repeated token to the token after its
// first occurrence; to the previous position) and every other head of its
// layer clearly less (uniform causal attention scores about 0.13).
func TestDay3HeadsDoWhatTheirNamesSay(t *testing.T) {
	m, loss, ds := loadDay3(t)
	for _, l := range []struct {
		chosen, rest   string
		induction      bool
		floor, ceiling float64
	}{{"a1.ind", "a1.not_ind", true, 0.5, 0.3}, {"b0.a.prev", "b0.a.not_prev", false, 0.45, 0.3}} {
		in, out := layerScores(t, m, loss, ds, l.chosen, l.rest, l.induction)
		t.Logf("%s %.3f, %s %.3f", l.chosen, in, l.rest, out)
		if len(in) == 0 || slices.Min(in) < l.floor || (len(out) > 0 && slices.Max(out) >= l.ceiling) {
			t.Errorf("%s: scores %.3f, the other heads' %.3f: want each ≥ %.2f and the others' < %.2f", l.chosen, in, out, l.floor, l.ceiling)
		}
	}
}

// torchScrub is testdata/day3/scrub_torch.json.
type torchScrub struct {
	N          int                `json:"n"`
	Unscrubbed float64            `json:"unscrubbed"`
	Rows       map[string]float64 `json:"rows"`
}

// Every scrub agrees with PyTorch's on the same sampled indices
// (testdata/day3/samples.npz, scrub_torch.py).
func TestDay3ScrubsMatchTorch(t *testing.T) {
	_, loss, ds := loadDay3(t)
	raw, err := os.ReadFile("../testdata/day3/scrub_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var want torchScrub
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	samples, err := weights.LoadNpz("../testdata/day3/samples.npz")
	if err != nil {
		t.Fatal(err)
	}
	tab, err := RunDay3(context.Background(), "../examples/day3", loss, ds, want.N, 0, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range Day3SampleArrays(tab) {
		w := samples[name]
		if w == nil || maxAbsDiff(t, got, w) != 0 {
			t.Fatalf("sampled %s differs from testdata/day3/samples.npz: regenerate it and scrub_torch.json", name)
		}
	}
	if d := math.Abs(tab.Unscrubbed.Mean - want.Unscrubbed); d > 1e-4 {
		t.Errorf("unscrubbed loss %.6f, PyTorch %.6f", tab.Unscrubbed.Mean, want.Unscrubbed)
	}
	for _, r := range tab.Rows {
		w, ok := want.Rows[r.Node]
		if !ok {
			t.Errorf("%s: no PyTorch value", r.File)
			continue
		}
		if d := math.Abs(r.Loss - w); d > 1e-4 {
			t.Errorf("%s: scrubbed loss %.6f, PyTorch %.6f", r.File, r.Loss, w)
		}
	}
}

// day3Table is examples/day3/table.json, `remix -day 3 -format json`'s
// output for the README's table.
type day3Table struct {
	N          int    `json:"n"`
	Seed       uint64 `json:"seed"`
	DType      string `json:"dtype"`
	Unscrubbed struct {
		Mean float64 `json:"mean"`
	} `json:"unscrubbed"`
	Rows []struct {
		File      string  `json:"file"`
		Loss      float64 `json:"loss"`
		Recovered float64 `json:"loss_recovered"`
	} `json:"rows"`
}

// The README's baseline and value rows, rerun at the table's n and seed.
func TestDay3TableSubset(t *testing.T) {
	if testing.Short() {
		t.Skip("reruns two of the table's scrubs at n = 2000; skipped with -short")
	}
	_, loss, ds := loadDay3(t)
	raw, err := os.ReadFile(filepath.Join(day3Dir, "table.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want day3Table
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	dt, err := tensor.ParseDType(want.DType)
	if err != nil {
		t.Fatal(err)
	}
	var exps []Day3Experiment
	for _, e := range Day3Experiments {
		if e.File == Day3BaselineFile || e.File == "value.json" {
			exps = append(exps, e)
		}
	}
	tab, err := RunDay3Experiments(context.Background(), day3Dir, exps, loss, ds, want.N, want.Seed, dt)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(tab.Unscrubbed.Mean - want.Unscrubbed.Mean); d > 1e-4 {
		t.Errorf("unscrubbed %.5f, table %.5f", tab.Unscrubbed.Mean, want.Unscrubbed.Mean)
	}
	for _, r := range tab.Rows {
		for _, w := range want.Rows {
			if w.File != r.File {
				continue
			}
			if math.Abs(r.Loss-w.Loss) > 1e-4 || math.Abs(r.Recovered-w.Recovered) > 1e-3 {
				t.Errorf("%s: loss %.5f recovered %.4f, table %.5f and %.4f", r.File, r.Loss, r.Recovered, w.Loss, w.Recovered)
			}
		}
	}
}

// A cancelled run stops with an error wrapping context.Canceled.
func TestDay3Cancelled(t *testing.T) {
	_, loss, ds := loadDay3(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunDay3(ctx, day3Dir, loss, ds, 8, 0, tensor.Float32); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
