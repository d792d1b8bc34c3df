package main

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/circopt/circopt/remix"
)

// writeSVG draws the table as a grouped bar chart of test accuracy: one
// group per experiment, one bar per model, a dashed line per model at its
// baseline. It is plain SVG written by hand: a vector version of the
// accuracy chart that -plots DIR draws as PNG with gonum/plot.
func writeSVG(w io.Writer, rows []remix.Row) error {
	exps, models, acc := accuracyTable(rows)
	if len(exps) == 0 {
		return fmt.Errorf("no rows to plot")
	}
	const (
		left, top, plotH, bottom = 60.0, 40.0, 300.0, 130.0
		barW, gap                = 14.0, 14.0
	)
	groupW := barW*float64(len(models)) + gap
	plotW := groupW * float64(len(exps))
	width, height := left+plotW+110, top+plotH+bottom
	colors := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"}
	y := func(v float64) float64 { return top + plotH*(1-v) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="14">MNIST test accuracy per experiment (REMIX day 1)</text>`+"\n", left)
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, left+plotW, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%.1f</text>`+"\n", left-5, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<text transform="translate(15,%.1f) rotate(-90)" text-anchor="middle">test accuracy</text>`+"\n", top+plotH/2)
	for i, e := range exps {
		x0 := left + groupW*float64(i) + gap/2
		for j, m := range models {
			v, ok := acc[[2]string{e, m}]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.4f</title></rect>`+"\n",
				x0+barW*float64(j), y(v), barW, plotH*v, colors[j%len(colors)], html.EscapeString(e), html.EscapeString(m), v)
		}
		cx := x0 + barW*float64(len(models))/2
		fmt.Fprintf(&b, `<text transform="translate(%.1f,%.1f) rotate(-60)" text-anchor="end">%s</text>`+"\n", cx, top+plotH+12, html.EscapeString(e))
	}
	for j, m := range models {
		if v, ok := acc[[2]string{"baseline", m}]; ok {
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3"/>`+"\n", left, left+plotW, y(v), y(v), colors[j%len(colors)])
		}
		ly := top + 20*float64(j)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/>`+"\n", left+plotW+15, ly, colors[j%len(colors)])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">model %s</text>`+"\n", left+plotW+32, ly+10, html.EscapeString(m))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
