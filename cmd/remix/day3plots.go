package main

import (
	"fmt"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

const (
	attnSide      = 900
	day3BarWidth  = 1100
	day3BarHeight = 700
)

// writeDay3Plots draws, for the first example of the dataset, the attention
// pattern of every induction head (a1.ind) and previous-token head
// (b0.a.prev), and the scrubbed loss per experiment; it returns the files.
func writeDay3Plots(cfg day3Config, m *remix.Day3Model, loss circuit.Circuit, ds *scrub.Dataset, t *remix.Day3Table) ([]string, error) {
	if err := ensureDir(cfg.plots); err != nil {
		return nil, err
	}
	ids, err := ds.Gather(remix.Day3Input, []int{0}, tensor.Float64)
	if err != nil {
		return nil, err
	}
	toks := make([]int64, ids.Size())
	for i, v := range ids.Float64Data() {
		toks[i] = int64(v)
	}
	var files []string
	for _, g := range []struct {
		node  string
		layer int
		heads []int
	}{{"a1.ind.attn_probs", 1, remix.Day3TrainedHeads.Induction}, {"b0.a.prev.attn_probs", 0, remix.Day3TrainedHeads.Prev}} {
		p, err := remix.Day3Node(loss, g.node, toks, m.Vocab(), tensor.Float64)
		if err != nil {
			return nil, err
		}
		for i, h := range g.heads {
			path := filepath.Join(cfg.plots, fmt.Sprintf("attn_%d.%d.%s", g.layer, h, cfg.plotFormat))
			if err := writeAttention(path, fmt.Sprintf("head %d.%d attention (example 0)", g.layer, h), p, i, toks); err != nil {
				return nil, err
			}
			files = append(files, path)
		}
	}
	path := filepath.Join(cfg.plots, "day3_loss."+cfg.plotFormat)
	if err := writeDay3Bars(path, t); err != nil {
		return nil, err
	}
	return append(files, path), nil
}

// writeAttention draws probs[head] ([q, k]) as a heatmap, query positions
// down, key positions across, each axis labelled with the tokens.
func writeAttention(path, title string, probs *tensor.Tensor, head int, toks []int64) error {
	sh := probs.Shape()
	if len(sh) != 3 || head >= sh[0] || sh[1] != sh[2] {
		return fmt.Errorf("%s: attention of shape %v, want [heads, seq, seq]", path, sh)
	}
	n := sh[1]
	vals := probs.Float64Data()
	scale := newLinearMap(0, 1, sequentialStops)
	return drawFigure(path, attnSide, attnSide, func(c draw.Canvas) error {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "key position (token)"
		p.Y.Label.Text = "query position (token)"
		g := gridXYZ{n, n, func(r, c int) float64 { return vals[head*n*n+r*n+c] }}
		hm := plotter.NewHeatMap(g, scale.Palette(256))
		hm.Min, hm.Max = 0, 1
		p.Add(hm)
		var xt, yt []plot.Tick
		for i := 0; i < n; i += 4 {
			xt = append(xt, plot.Tick{Value: float64(i), Label: fmt.Sprintf("%d (%d)", i, toks[i])})
			yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: fmt.Sprintf("%d (%d)", i, toks[i])})
		}
		p.X.Tick.Marker = plot.ConstantTicks(xt)
		p.Y.Tick.Marker = plot.ConstantTicks(yt)
		p.X.Tick.Label.Rotation = 0.8
		p.X.Tick.Label.XAlign = draw.XRight
		main, bar := splitRight(c, 0.86)
		p.Draw(squareData(p, main))
		return drawColorBar(bar, scale, "attention", nil)
	})
}

// writeDay3Bars draws the scrubbed loss of every experiment with its
// standard error, the unscrubbed loss first.
func writeDay3Bars(path string, t *remix.Day3Table) error {
	vals := plotter.Values{t.Unscrubbed.Mean}
	errs := plotter.YErrors{{Low: t.Unscrubbed.Stderr, High: t.Unscrubbed.Stderr}}
	names := []string{"unscrubbed"}
	for _, r := range t.Rows {
		vals = append(vals, r.Loss)
		errs = append(errs, struct{ Low, High float64 }{r.Stderr, r.Stderr})
		names = append(names, r.Node)
	}
	return drawFigure(path, day3BarWidth, day3BarHeight, func(c draw.Canvas) error {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("REMIX day 3: loss on repeated tokens (n = %d, ± stderr)", t.N)
		p.Title.Padding = vg.Points(10)
		p.Y.Label.Text = "loss"
		bars, err := plotter.NewBarChart(vals, vg.Points(28))
		if err != nil {
			return err
		}
		bars.Color = sequentialStops[2]
		p.Add(bars)
		xys := make(plotter.XYs, len(vals))
		for i, v := range vals {
			xys[i] = plotter.XY{X: float64(i), Y: v}
		}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xys, errs})
		if err != nil {
			return err
		}
		p.Add(eb)
		p.NominalX(names...)
		p.Y.Min = 0
		p.Draw(c)
		return nil
	})
}
