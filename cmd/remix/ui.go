package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/ui"
)

// maxMisclassified caps the images -ui shows (the first ones either model
// gets wrong).
const maxMisclassified = 64

// dayOneUI gathers what -ui shows: the test images that model A or B
// misclassifies with both models' logits, each model's first- and
// last-layer weights as 28×28 images per unit, and the two models as
// circuit variants over those images (compared node by node).
func dayOneUI(ctx context.Context, models string, images *tensor.Tensor, labels []int, dt tensor.DType) (ui.Options, error) {
	var opts ui.Options
	type loaded struct {
		name   string
		model  circuit.Circuit
		logits []float64
	}
	var ms []loaded
	for _, m := range remix.ModelFiles {
		path := filepath.Join(models, m.File)
		model, err := remix.LoadModel(path, images.Shape()[0])
		if err != nil {
			return opts, err
		}
		logits, err := remix.BaselineLogits(ctx, model, images, remix.Options{DType: dt})
		if err != nil {
			return opts, fmt.Errorf("model %s: %w", m.Name, err)
		}
		ms = append(ms, loaded{m.Name, model, logits.Float64s()})
	}
	pix := images.Float64s()
	var rows []int
	var exampleLabels []string
	for i, y := range labels {
		label := "#" + strconv.Itoa(i) + " y=" + strconv.Itoa(y)
		wrong := false
		for _, m := range ms {
			p := argmax(m.logits[i*remix.Classes : (i+1)*remix.Classes])
			label += " " + m.name + ":" + strconv.Itoa(p)
			wrong = wrong || p != y
		}
		if wrong {
			rows = append(rows, i)
			exampleLabels = append(exampleLabels, label)
			if len(rows) == maxMisclassified {
				break
			}
		}
	}
	if len(rows) == 0 {
		return opts, fmt.Errorf("both models classify every test image correctly: nothing misclassified to show")
	}
	k := len(rows)
	shown, err := tensor.FromFloat64([]int{k, remix.Pixels}, gather(pix, rows, remix.Pixels))
	if err != nil {
		return opts, err
	}
	digits := make([]string, remix.Classes)
	for i := range digits {
		digits[i] = strconv.Itoa(i)
	}
	example := ui.Dim{Name: "example", Labels: exampleLabels}
	pixel := ui.Dim{Name: "pixel", Type: "image:28x28"}
	opts.Tensors = append(opts.Tensors, ui.Tensor{Name: "misclassified", Value: shown, Dims: []ui.Dim{example, pixel}})
	for _, m := range ms {
		lg, err := tensor.FromFloat64([]int{k, remix.Classes}, gather(m.logits, rows, remix.Classes))
		if err != nil {
			return opts, err
		}
		opts.Tensors = append(opts.Tensors, ui.Tensor{Name: "logits " + m.name, Value: lg, Dims: []ui.Dim{example, {Name: "digit", Labels: digits}}})
		for _, w := range []struct {
			array string
			unit  ui.Dim
		}{{"first.weight", ui.Dim{Name: "unit"}}, {"last.weight", ui.Dim{Name: "digit", Labels: digits}}} {
			a, err := arrayValue(m.model, w.array)
			if err != nil {
				return opts, fmt.Errorf("model %s: %w", m.name, err)
			}
			opts.Tensors = append(opts.Tensors, ui.Tensor{Name: w.array + " " + m.name, Value: a, Dims: []ui.Dim{w.unit, pixel}})
		}
		model, err := remix.LoadModel(filepath.Join(models, modelFile(m.name)), k)
		if err != nil {
			return opts, err
		}
		opts.Variants = append(opts.Variants, ui.Variant{Name: "model " + m.name, Roots: []circuit.Circuit{model}, Bindings: map[string]*tensor.Tensor{remix.NameX: shown}})
	}
	opts.DType = dt
	return opts, nil
}

func modelFile(name string) string {
	for _, m := range remix.ModelFiles {
		if m.Name == name {
			return m.File
		}
	}
	return ""
}

// arrayValue is the value of the Array named name in model.
func arrayValue(model circuit.Circuit, name string) (*tensor.Tensor, error) {
	var found *tensor.Tensor
	circuit.Walk([]circuit.Circuit{model}, func(c circuit.Circuit) {
		if a, ok := c.(*circuit.Array); ok && c.Name() == name {
			found = a.Value
		}
	})
	if found == nil {
		return nil, fmt.Errorf("no Array named %q", name)
	}
	return found, nil
}

// gather copies rows of width w out of data.
func gather(data []float64, rows []int, w int) []float64 {
	out := make([]float64, 0, len(rows)*w)
	for _, r := range rows {
		out = append(out, data[r*w:(r+1)*w]...)
	}
	return out
}

func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// uiReady is called with the running server (tests stop it through it).
var uiReady = func(*ui.Server) {}

// serveDayOne serves day 1 in the composable UI on addr until interrupted.
func serveDayOne(ctx context.Context, cfg *config, stdout io.Writer) error {
	images, labels, err := cfg.testSet()
	if err != nil {
		return err
	}
	opts, err := dayOneUI(ctx, cfg.models, images, labels, cfg.dtype)
	if err != nil {
		return err
	}
	opts.Addr = cfg.ui
	srv, err := ui.Serve(opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "serving %s (interrupt to stop)\n", srv.URL())
	uiReady(srv)
	return srv.WaitInterrupt()
}
