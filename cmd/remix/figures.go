package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/tensor"
)

// The notebook's figures as PNG or SVG files, drawn with gonum/plot from the
// data package remix gathers (DESIGN.md keeps gonum/plot out of the library).

// Pixel sizes of the figures (drawn at figureDPI).
const (
	figureDPI                       = 96
	confusionWidth, confusionHeight = 560, 480
	weightsWidth, weightsHeight     = 960, 470
	accuracyWidth, accuracyHeight   = 960, 520
	weightsSide                     = 28 // a last-layer row is a 28×28 image
	confusionFile, weightsFile      = "confusion_%s", "last_weights_%s"
)

// plotFormats are the -plot-format values, each a file extension.
var plotFormats = []string{"png", "svg"}

// writePlots writes into dir (created if missing), as format (png or
// svg) files: confusion_<model> and last_weights_<model> for every figure,
// then accuracy and loss for rows. Models share one colour scale per kind
// of figure so they compare. It returns the paths written, in that order.
func writePlots(dir, format string, figs []remix.ModelFigure, rows []remix.Row) ([]string, error) {
	if !slices.Contains(plotFormats, format) {
		return nil, fmt.Errorf("plot format %q is not png or svg", format)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	confMax, weightLim := sharedScales(figs)
	var paths []string
	for _, f := range figs {
		p := filepath.Join(dir, fmt.Sprintf(confusionFile, f.Name)+"."+format)
		if err := writeConfusion(p, f.Name, f.Confusion, confMax); err != nil {
			return paths, err
		}
		paths = append(paths, p)
		p = filepath.Join(dir, fmt.Sprintf(weightsFile, f.Name)+"."+format)
		if err := writeLastWeights(p, f.Name, f.LastWeights, weightLim); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	for _, m := range []metric{accuracyMetric, lossMetric} {
		p := filepath.Join(dir, m.file+"."+format)
		if err := writeMetric(p, rows, m); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// sharedScales returns the largest off-diagonal confusion count over all
// figures and the weightsClipQuantile of |w| over all models' last-layer
// weights, so every model is drawn on the same scales (0 and 1 when there
// is nothing to measure).
func sharedScales(figs []remix.ModelFigure) (confMax int, weightLim float64) {
	var all []float64
	for _, f := range figs {
		for _, row := range remix.OffDiagonal(f.Confusion) {
			for _, v := range row {
				confMax = max(confMax, v)
			}
		}
		if f.LastWeights != nil {
			all = append(all, f.LastWeights.Float64s()...)
		}
	}
	return max(confMax, 1), clipLimit(all, weightsClipQuantile)
}

// writeMetric draws metricPlot(rows, m) into path.
func writeMetric(path string, rows []remix.Row, m metric) error {
	p, err := metricPlot(rows, m)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return drawFigure(path, accuracyWidth, accuracyHeight, func(c draw.Canvas) error {
		p.Draw(c)
		return nil
	})
}

// writeConfusion draws the confusion matrix of model with its diagonal
// zeroed (as the notebook's heatmap): true class down the rows, prediction
// across, each cell labelled with its count, a white-to-red scale from 0 to
// vmax (the largest mistake count of all models, so they compare).
func writeConfusion(path, model string, m [][]int, vmax int) error {
	k := len(m)
	if k == 0 {
		return fmt.Errorf("%s: empty confusion matrix", path)
	}
	for i, row := range m {
		if len(row) != k {
			return fmt.Errorf("%s: confusion matrix row %d has %d entries, want %d", path, i, len(row), k)
		}
		for j, v := range row {
			if v < 0 {
				return fmt.Errorf("%s: confusion matrix entry [%d][%d] is negative (%d)", path, i, j, v)
			}
		}
	}
	off := remix.OffDiagonal(m)
	mistakes := 0
	for _, row := range off {
		for _, v := range row {
			vmax = max(vmax, v) // a caller's too-small vmax saturates nothing
			mistakes += v
		}
	}
	scale := newLinearMap(0, float64(max(vmax, 1)), sequentialStops)
	return drawFigure(path, confusionWidth, confusionHeight, func(c draw.Canvas) error {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("Model %s: mistakes (%d, diagonal zeroed)", model, mistakes)
		p.X.Label.Text = fmt.Sprintf("Model %s prediction", model)
		p.Y.Label.Text = "True class"
		g := confusionGrid(off)
		hm := plotter.NewHeatMap(g, scale.Palette(256))
		hm.Min, hm.Max = scale.Min(), scale.Max()
		p.Add(hm)
		var xys plotter.XYLabels
		for i, row := range off {
			for j, v := range row {
				xys.XYs = append(xys.XYs, plotter.XY{X: float64(j), Y: float64(k - 1 - i)})
				xys.Labels = append(xys.Labels, fmt.Sprint(v))
			}
		}
		labels, err := plotter.NewLabels(xys)
		if err != nil {
			return err
		}
		for n := range labels.TextStyle {
			st := &labels.TextStyle[n]
			st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
			st.Font.Size = vg.Points(9)
			// dark cells get white text so every count stays readable
			if v := off[n/k][n%k]; float64(v) > 0.6*scale.Max() {
				st.Color = color.White
			}
		}
		p.Add(labels)
		var xt, yt []plot.Tick
		for i := range k {
			xt = append(xt, plot.Tick{Value: float64(i), Label: fmt.Sprint(i)})
			yt = append(yt, plot.Tick{Value: float64(k - 1 - i), Label: fmt.Sprint(i)})
		}
		p.X.Tick.Marker = plot.ConstantTicks(xt)
		p.Y.Tick.Marker = plot.ConstantTicks(yt)
		main, bar := splitRight(c, 0.84)
		p.Draw(main)
		return drawColorBar(bar, scale, "count", nil)
	})
}

// weightsClipQuantile is the quantile of |w| at which the weight colours
// saturate. A few large weights on the image border (pixels that are the
// same in every MNIST image, so they act as biases) would otherwise wash
// out the digit shapes in the centre.
const weightsClipQuantile = 0.98

// clipLimit returns the q-quantile of |v| (nearest rank), or 1 when that is
// zero so a symmetric range around zero still exists.
func clipLimit(v []float64, q float64) float64 {
	abs := make([]float64, len(v))
	for i, x := range v {
		abs[i] = math.Abs(x)
	}
	slices.Sort(abs)
	if len(abs) == 0 {
		return 1
	}
	lim := abs[min(len(abs)-1, int(math.Ceil(q*float64(len(abs))))-1)]
	if lim == 0 {
		return 1
	}
	return lim
}

// writeLastWeights draws the rows of w [10, 784] as ten 28×28 images,
// digit d's weights in panel d, on one diverging scale symmetric about zero
// (blue negative, white zero, red positive) from −lim to lim, shared by the
// panels and the models so they compare; larger |w| saturate. Model B's
// panels show digit shapes; model A's are noise.
func writeLastWeights(path, model string, w *tensor.Tensor, lim float64) error {
	if w == nil || !slices.Equal(w.Shape(), []int{remix.Classes, remix.Pixels}) {
		var shape []int
		if w != nil {
			shape = w.Shape()
		}
		return fmt.Errorf("%s: last-layer weights have shape %v, want [%d %d]", path, shape, remix.Classes, remix.Pixels)
	}
	vals := w.Float64s()
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: weight %d of digit %d is %v", path, i%remix.Pixels, i/remix.Pixels, v)
		}
	}
	if !(lim > 0) {
		return fmt.Errorf("%s: colour limit %v is not positive", path, lim)
	}
	scale := newLinearMap(-lim, lim, divergingStops)
	pal := scale.Palette(255) // odd, so the middle colour is exactly white
	return drawFigure(path, weightsWidth, weightsHeight, func(c draw.Canvas) error {
		top, body := splitTop(c, 30)
		drawTitle(top, fmt.Sprintf("Model %s: last.weight per digit (28×28; colour clipped at ±%.3g)", model, lim))
		panels, bar := splitRight(body, 0.88)
		const rows, cols = 2, 5
		plots := make([][]*plot.Plot, rows)
		for r := range rows {
			plots[r] = make([]*plot.Plot, cols)
			for cc := range cols {
				d := r*cols + cc
				p := plot.New()
				p.Title.Text = fmt.Sprintf("digit %d", d)
				p.HideAxes()
				hm := plotter.NewHeatMap(imageGrid(vals[d*remix.Pixels:(d+1)*remix.Pixels]), pal)
				hm.Min, hm.Max = -lim, lim
				hm.Underflow, hm.Overflow = pal.Colors()[0], pal.Colors()[len(pal.Colors())-1]
				p.Add(hm)
				plots[r][cc] = p
			}
		}
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(6), PadY: vg.Points(6)}
		canvases := plot.Align(plots, tiles, panels)
		for r := range rows {
			for cc := range cols {
				plots[r][cc].Draw(squareData(plots[r][cc], canvases[r][cc]))
			}
		}
		return drawColorBar(bar, scale, "weight", symmetricTicks(lim))
	})
}

// symmetricTicks label −lim, −lim/2, 0, lim/2 and lim: the default ticker
// picks too few for a range like ±0.079.
func symmetricTicks(lim float64) []plot.Tick {
	var ts []plot.Tick
	for _, f := range []float64{-1, -0.5, 0, 0.5, 1} {
		ts = append(ts, plot.Tick{Value: f * lim, Label: fmt.Sprintf("%.2g", f*lim)})
	}
	return ts
}

// accuracyTicks label 0, 0.1, ..., 1 (the range above 1 is legend room).
func accuracyTicks() []plot.Tick {
	var ts []plot.Tick
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprintf("%.1f", v)})
	}
	return ts
}

// barColors are matplotlib's first colours, so model A and B look as in
// the notebook's plots.
var barColors = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff},
	color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
	color.RGBA{0xd6, 0x27, 0x28, 0xff},
}

// drawFigure renders one figure of w×h pixels (at figureDPI) and writes it
// to path as PNG, or as SVG when path ends in .svg. gonum/plot panics on
// some inconsistent inputs; the recover turns a panic the checks above
// missed into an error naming the file.
func drawFigure(path string, w, h int, fn func(draw.Canvas) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: drawing failed: %v", path, r)
		}
	}()
	px := func(n int) vg.Length { return vg.Length(n) * vg.Inch / figureDPI }
	var canvas vg.CanvasWriterTo
	if filepath.Ext(path) == ".svg" {
		canvas = vgsvg.NewWith(vgsvg.UseWH(px(w), px(h)))
	} else {
		img := vgimg.NewWith(vgimg.UseWH(px(w), px(h)), vgimg.UseDPI(figureDPI))
		canvas = vgimg.PngCanvas{Canvas: img}
	}
	if err := fn(draw.New(canvas)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, werr := canvas.WriteTo(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("%s: %w", path, werr)
	}
	return nil
}

// splitRight cuts c into a left part of fraction frac of its width and the
// rest (for a colour bar).
func splitRight(c draw.Canvas, frac float64) (left, right draw.Canvas) {
	x := c.Min.X + vg.Length(frac)*(c.Max.X-c.Min.X)
	left, right = c, c
	left.Max.X, right.Min.X = x, x
	return left, right
}

// splitTop cuts a strip of the given height in points off the top of c.
func splitTop(c draw.Canvas, height float64) (top, rest draw.Canvas) {
	y := c.Max.Y - vg.Points(height)
	top, rest = c, c
	top.Min.Y, rest.Max.Y = y, y
	return top, rest
}

// squareData shrinks c so p's data area in it is the largest centred
// square: 28×28 pixels stay square whatever the figure's aspect.
func squareData(p *plot.Plot, c draw.Canvas) draw.Canvas {
	dc := p.DataCanvas(c)
	w, h := dc.Max.X-dc.Min.X, dc.Max.Y-dc.Min.Y
	if w > h {
		c.Min.X += (w - h) / 2
		c.Max.X -= (w - h) / 2
	} else {
		c.Min.Y += (h - w) / 2
		c.Max.Y -= (h - w) / 2
	}
	return c
}

// drawTitle writes s centred in c in a 14 pt font.
func drawTitle(c draw.Canvas, s string) {
	sty := text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, 14),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
	c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}, s)
}

// drawColorBar draws a vertical colour bar of scale, labelled, in c, with
// the given ticks (gonum/plot's default ticks when nil).
func drawColorBar(c draw.Canvas, scale *linearMap, label string, ticks []plot.Tick) error {
	p := plot.New()
	p.Add(&plotter.ColorBar{ColorMap: scale, Vertical: true})
	p.HideX()
	p.Title.Text = label
	p.Y.Padding = vg.Points(8)
	if ticks != nil {
		p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	}
	// the bar is 14 pt wide whatever room its tick labels take; the strip
	// left over stays empty on the right
	c.Min.Y += vg.Points(30)
	c.Max.Y -= vg.Points(30)
	if w := p.DataCanvas(c).Max.X - p.DataCanvas(c).Min.X; w > vg.Points(14) {
		c.Max.X -= w - vg.Points(14)
	}
	p.Draw(c)
	return nil
}

// gridXYZ is a rows×cols matrix as a plotter.GridXYZ: column c at x = c,
// row r at y = rows−1−r, so row 0 is drawn at the top as in an image.
type gridXYZ struct {
	rows, cols int
	z          func(r, c int) float64
}

func (g gridXYZ) Dims() (int, int)   { return g.cols, g.rows }
func (g gridXYZ) Z(c, r int) float64 { return g.z(g.rows-1-r, c) }
func (g gridXYZ) X(c int) float64    { return float64(c) }
func (g gridXYZ) Y(r int) float64    { return float64(r) }
func confusionGrid(m [][]int) gridXYZ {
	return gridXYZ{len(m), len(m), func(r, c int) float64 { return float64(m[r][c]) }}
}
func imageGrid(px []float64) gridXYZ {
	return gridXYZ{weightsSide, weightsSide, func(r, c int) float64 { return px[r*weightsSide+c] }}
}
