package main

import (
	"fmt"
	"image/color"
	"math"
	"regexp"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/circopt/circopt/remix"
)

// metric is one column of the results table drawn as a bar chart.
type metric struct {
	file, title, axis string
	value             func(remix.Row) float64
	// chance is what a model that knows nothing scores: accuracy 1/10, and
	// for the smoothed cross-entropy of uniform logits ln 10 (the
	// smoothing term is ln 10 too).
	chance float64
	// bounded metrics (accuracy) must lie in [0, 1].
	bounded bool
}

var (
	accuracyMetric = metric{"accuracy", "MNIST test accuracy by experiment", "test accuracy",
		func(r remix.Row) float64 { return r.TestAcc }, 1.0 / remix.Classes, true}
	lossMetric = metric{"loss", "MNIST test loss by experiment", "test loss (cross-entropy, label smoothing 0.1)",
		func(r remix.Row) float64 { return r.TestLoss }, math.Log(remix.Classes), false}
)

// seedSuffix is the _<seed> ending of the shuffled experiments' names.
var seedSuffix = regexp.MustCompile(`_[0-9]+$`)

// seedGroup is one bar: an experiment (seeds merged) of one model.
type seedGroup struct {
	mean, lo, hi float64
	n            int
}

// groupSeeds merges the rows of experiments that differ only in their
// seed (resample_first_0, _1, _2 -> resample_first) per model: the mean
// and the min–max range over the seeds. Experiments and models come in
// first-seen order.
func groupSeeds(rows []remix.Row, value func(remix.Row) float64) (exps, models []string, groups map[[2]string]*seedGroup) {
	groups = map[[2]string]*seedGroup{}
	for _, r := range rows {
		e := seedSuffix.ReplaceAllString(r.Experiment, "")
		if !slices.Contains(exps, e) {
			exps = append(exps, e)
		}
		if !slices.Contains(models, r.Model) {
			models = append(models, r.Model)
		}
		v := value(r)
		g := groups[[2]string{e, r.Model}]
		if g == nil {
			g = &seedGroup{lo: v, hi: v}
			groups[[2]string{e, r.Model}] = g
		}
		g.mean = (g.mean*float64(g.n) + v) / float64(g.n+1)
		g.n++
		g.lo, g.hi = math.Min(g.lo, v), math.Max(g.hi, v)
	}
	return exps, models, groups
}

// metricPlot draws rows as a grouped bar chart of m: experiments along the
// x axis, one bar per model (the mean over seeds, whiskers from the lowest
// to the highest seed), a dashed line per model at its baseline and a
// dotted grey line at chance.
func metricPlot(rows []remix.Row, m metric) (*plot.Plot, error) {
	for _, r := range rows {
		v := m.value(r)
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || m.bounded && v > 1 {
			return nil, fmt.Errorf("%s %v of %s %s is out of range", m.file, v, r.Model, r.Experiment)
		}
	}
	exps, models, groups := groupSeeds(rows, m.value)
	if len(exps) == 0 {
		return nil, fmt.Errorf("no rows to plot")
	}
	p := plot.New()
	p.Title.Text = m.title
	p.Y.Label.Text = m.axis
	top := m.chance
	for _, g := range groups {
		top = math.Max(top, g.hi)
	}
	// headroom keeps the legend off the bars
	p.Y.Min, p.Y.Max = 0, top*1.15
	if m.bounded {
		p.Y.Max = 1.15
		p.Y.Tick.Marker = plot.ConstantTicks(accuracyTicks())
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil // group boundaries are clear without it
	p.Add(grid)
	span := func(y float64) (*plotter.Line, error) {
		return plotter.NewLine(plotter.XYs{{X: -0.5, Y: y}, {X: float64(len(exps)) - 0.5, Y: y}})
	}
	chance, err := span(m.chance)
	if err != nil {
		return nil, err
	}
	chance.Color = color.Gray{Y: 0x60}
	chance.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
	chance.Width = vg.Points(1.5)
	p.Add(chance)
	barW := vg.Points(math.Min(14, 60/float64(len(models))))
	multiSeed := false
	for j, model := range models {
		vs := make(plotter.Values, len(exps))
		wh := &whiskers{width: barW / 2}
		for i, e := range exps {
			g := groups[[2]string{e, model}]
			if g == nil {
				continue // a missing pair draws no bar (0)
			}
			vs[i] = g.mean
			if g.n > 1 {
				multiSeed = true
				wh.pts = append(wh.pts, whisker{x: float64(i), lo: g.lo, hi: g.hi})
			}
		}
		b, err := plotter.NewBarChart(vs, barW)
		if err != nil {
			return nil, err
		}
		b.Color = barColors[j%len(barColors)]
		b.LineStyle.Width = 0
		b.Offset = barW * vg.Length(float64(j)-float64(len(models)-1)/2)
		wh.offset = b.Offset
		p.Add(b, wh)
		p.Legend.Add("model "+model, b)
		if g := groups[[2]string{"baseline", model}]; g != nil {
			// a dashed line at the baseline shows what each ablation costs
			l, err := span(g.mean)
			if err != nil {
				return nil, err
			}
			l.Color = b.Color
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(l)
		}
	}
	p.Legend.Add(fmt.Sprintf("chance (%.3g)", m.chance), chance)
	if multiSeed {
		p.Title.Text += " (mean over seeds, whiskers min–max)"
	}
	p.Legend.Top = true
	p.NominalX(exps...)
	// NominalX's range ends at the outer groups' centres; widen it by half
	// a group so their side-by-side bars are not cut off
	p.X.Min, p.X.Max = -0.5, float64(len(exps))-0.5
	p.X.Tick.Label.Rotation = math.Pi / 5
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	return p, nil
}

// whiskers draws a vertical min–max line with end caps at each point,
// shifted by offset as the bar it belongs to (BarChart.Offset is in points,
// so the whiskers must be drawn in the same space, not as data).
type whiskers struct {
	pts    []whisker
	offset vg.Length
	width  vg.Length
}

type whisker struct{ x, lo, hi float64 }

func (w *whiskers) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	sty := draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
	for _, p := range w.pts {
		x := trX(p.x) + w.offset
		lo, hi := trY(p.lo), trY(p.hi)
		c.StrokeLine2(sty, x, lo, x, hi)
		c.StrokeLine2(sty, x-w.width/2, lo, x+w.width/2, lo)
		c.StrokeLine2(sty, x-w.width/2, hi, x+w.width/2, hi)
	}
}
