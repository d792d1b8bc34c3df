package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/weights"
)

var modelDir = filepath.Join("..", "..", "..", "shared", "remix")

func runCmd(args ...string) (status int, stdout, stderr string) {
	var o, e bytes.Buffer
	status = run(context.Background(), args, &o, &e)
	return status, o.String(), e.String()
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-models"},
		{"-models", "d", "extra"},
		{"-models", "d", "-format", "xml"},
		{"-models", "d", "-dtype", "float16"},
		{"-models", "d", "-eval", "fast"},
		{"-models", "d", "-only", "baseline,nope"},
		{"-models", "d", "-store", "s"},
		{"-no-such-flag"},
	} {
		status, stdout, stderr := runCmd(args...)
		if status != 2 {
			t.Errorf("%q: status %d, want 2 (stderr %q)", args, status, stderr)
		}
		if stdout != "" || !strings.HasPrefix(stderr, "remix: ") && !strings.Contains(stderr, "flag") {
			t.Errorf("%q: stdout %q, stderr %q", args, stdout, stderr)
		}
	}
	if status, _, _ := runCmd("-h"); status != 0 {
		t.Errorf("-h: status %d, want 0", status)
	}
}

func TestBadModelsDir(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt")
	if err := os.Mkdir(corrupt, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, m := range remix.ModelFiles {
		if err := os.WriteFile(filepath.Join(corrupt, m.File), []byte("PK not a zip"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ dir, want string }{
		{filepath.Join(dir, "missing"), "does not exist"},
		{dir, "lacks"},
		{corrupt, "model_a.pickle"},
	} {
		for _, extra := range [][]string{nil, {"-circuit"}} {
			status, stdout, stderr := runCmd(append([]string{"-models", c.dir}, extra...)...)
			if status != 1 {
				t.Errorf("%s %v: status %d, want 1", c.dir, extra, status)
			}
			if stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) || !strings.HasPrefix(stderr, "remix: ") {
				t.Errorf("%s %v: want one line on stderr containing %q; got stdout %q stderr %q", c.dir, extra, c.want, stdout, stderr)
			}
		}
	}
}

func TestWriteTable(t *testing.T) {
	rows := []remix.Row{
		{Experiment: "baseline", Model: "A", TestLoss: 0.58966, TestAcc: 0.9792},
		{Experiment: "patch_first_only_2", Model: "B", TestLoss: 1.30121, TestAcc: 0.6901},
	}
	var b bytes.Buffer
	if err := writeTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"experiment          model  test_loss  test_acc\n" +
		"baseline            A      0.5897     0.9792\n" +
		"patch_first_only_2  B      1.3012     0.6901\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := writeJSON(&b, rows[:1]); err != nil {
		t.Fatal(err)
	}
	var got map[string][]map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	r := got["rows"][0]
	if len(got["rows"]) != 1 || r["experiment"] != "baseline" || r["model"] != "A" || r["test_loss"] != 0.58966 || r["test_acc"] != 0.9792 {
		t.Errorf("json %s", b.String())
	}
	b.Reset()
	_ = writeJSON(&b, nil)
	if strings.TrimSpace(b.String()) != `{
  "rows": []
}` {
		t.Errorf("empty json %s", b.String())
	}
}

func needModels(t *testing.T) {
	t.Helper()
	if err := remix.CheckModelDir(modelDir); err != nil {
		t.Skip("../shared/remix not present: " + err.Error())
	}
}

// zero_first is last(x): cheap, and computable here by hand from the raw
// weights and images, which checks the whole command path (loading, the
// rewrite, evaluation, scoring, JSON) against an independent computation.
func TestZeroFirstJSONMatchesHandComputation(t *testing.T) {
	needModels(t)
	mnist, err := weights.MNISTDir()
	if err != nil {
		t.Skip("MNIST not present: " + err.Error())
	}
	status, stdout, stderr := runCmd("-models", modelDir, "-only", "zero_first", "-format", "json")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	var out struct {
		Rows []remix.Row `json:"rows"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(out.Rows) != 2 || out.Rows[0].Model != "A" || out.Rows[1].Model != "B" {
		t.Fatalf("rows %+v", out.Rows)
	}
	images, labels, err := weights.LoadMNISTTest(mnist)
	if err != nil {
		t.Fatal(err)
	}
	x := images.Float64s()
	for i, m := range remix.ModelFiles {
		sd, err := weights.LoadTorch(filepath.Join(modelDir, m.File))
		if err != nil {
			t.Fatal(err)
		}
		w, b := sd["last.weight"].Float64s(), sd["last.bias"].Float64s()
		var loss float64
		correct := 0
		for n, y := range labels {
			var logits [10]float64
			best := 0
			for k := range logits {
				s := b[k]
				for p := 0; p < 784; p++ {
					s += x[n*784+p] * w[k*784+p]
				}
				logits[k] = s
				if s > logits[best] {
					best = k
				}
			}
			mx := logits[best]
			var z float64
			for _, v := range logits {
				z += math.Exp(v - mx)
			}
			lse := mx + math.Log(z)
			var mean float64
			for _, v := range logits {
				mean += (lse - v) / 10
			}
			loss += 0.9*(lse-logits[y]) + 0.1*mean
			if best == y {
				correct++
			}
		}
		loss /= float64(len(labels))
		acc := float64(correct) / float64(len(labels))
		r := out.Rows[i]
		if r.Experiment != "zero_first" || math.Abs(r.TestLoss-loss) > 1e-4 || math.Abs(r.TestAcc-acc) > 0.0003 {
			t.Errorf("model %s: got %+v, hand computation loss %.6f acc %.4f", m.Name, r, loss, acc)
		}
	}
}

// -circuit prints both models; with -store the text parses back to the
// circuits remix.LoadModel builds.
func TestPrintCircuitRoundTrip(t *testing.T) {
	needModels(t)
	store := t.TempDir()
	status, stdout, stderr := runCmd("-models", modelDir, "-circuit", "-store", store)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	st, err := weights.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := circuit.ParseCircuits(stdout, circuit.ParseOptions{Store: st})
	if err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(cs) != 2 {
		t.Fatalf("%d circuits printed, want 2", len(cs))
	}
	for i, m := range remix.ModelFiles {
		want, err := remix.LoadModel(filepath.Join(modelDir, m.File), remix.TestSetSize)
		if err != nil {
			t.Fatal(err)
		}
		if !circuit.Equal(cs[i], want) {
			t.Errorf("model %s does not round-trip", m.Name)
		}
	}
}

// An interrupted run (SIGINT cancels the context main passes) exits 130
// with one line and prints no table.
func TestInterrupted(t *testing.T) {
	dir := t.TempDir()
	for _, m := range remix.ModelFiles {
		if err := os.WriteFile(filepath.Join(dir, m.File), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var o, e bytes.Buffer
	if status := run(ctx, []string{"-models", dir, "-mnist", dir}, &o, &e); status != 130 || o.Len() != 0 || e.String() != "remix: interrupted\n" {
		t.Errorf("status %d, stdout %q, stderr %q; want 130, nothing, one line", status, o.String(), e.String())
	}
}
