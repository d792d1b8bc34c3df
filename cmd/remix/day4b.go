package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

func init() { days["4b"] = runDay4b }

// day4bConfig is day 4b's command line.
type day4bConfig struct {
	dir, format, plots, plotFormat string
	dump                           string
	n                              int
	seed                           uint64
	only                           []string
	dtype                          tensor.DType
}

func parseDay4b(args []string, stderr io.Writer) (*day4bConfig, error) {
	fs := flag.NewFlagSet("remix -day 4b", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &day4bConfig{}
	fs.String("day", "4b", "the REMIX day: 4b, the paren balancer")
	fs.StringVar(&cfg.dir, "dir", filepath.Join("examples", "day4b"), "`DIR` holding model.circ, scrub_model.circ, store/ and dataset.npz")
	fs.IntVar(&cfg.n, "n", 1000, "reference examples per experiment")
	fs.Uint64Var(&cfg.seed, "seed", 1, "sampling seed")
	fs.StringVar(&cfg.format, "format", "text", "output format: text or json")
	fs.StringVar(&cfg.plots, "plots", "", "also write the per-experiment loss bars into this `DIR`")
	fs.StringVar(&cfg.plotFormat, "plot-format", "png", "file format of the -plots figure: png or svg")
	fs.StringVar(&cfg.dump, "dump-samples", "", "write each experiment's sampled indices to `DIR`/<experiment>.npz (for testdata/day4b/scrub_torch.py)")
	only := fs.String("only", "", "comma-separated experiments to run (default: all)")
	dtype := fs.String("dtype", "float32", "evaluation dtype: float32 or float64")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return nil, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case cfg.n < 1:
		return nil, usageError{fmt.Sprintf("-n must be at least 1, not %d", cfg.n)}
	case cfg.format != "text" && cfg.format != "json":
		return nil, usageError{fmt.Sprintf("-format must be text or json, not %q", cfg.format)}
	case !slices.Contains(plotFormats, cfg.plotFormat):
		return nil, usageError{fmt.Sprintf("-plot-format must be png or svg, not %q", cfg.plotFormat)}
	}
	dt, err := tensor.ParseDType(*dtype)
	if err != nil || !dt.IsFloat() {
		return nil, usageError{fmt.Sprintf("-dtype must be float32 or float64, not %q", *dtype)}
	}
	cfg.dtype = dt
	var known []string
	for _, e := range remix.ParenExperiments() {
		known = append(known, e.Name)
	}
	if *only != "" {
		for _, n := range strings.Split(*only, ",") {
			if n = strings.TrimSpace(n); !slices.Contains(known, n) {
				return nil, usageError{fmt.Sprintf("-only: unknown day 4b experiment %q (known: %s)", n, strings.Join(known, ", "))}
			}
			cfg.only = append(cfg.only, n)
		}
	}
	return cfg, nil
}

// runDay4b runs day 4b's experiments 0 to 4 on the shipped paren balancer
// and prints loss ± standard error per experiment.
func runDay4b(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseDay4b(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "remix: %s\n", ue.msg)
		return 2
	}
	if err == nil {
		err = day4b(ctx, cfg, stdout)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "remix: interrupted")
		return 130
	}
	if err != nil {
		fmt.Fprintf(stderr, "remix: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return 1
	}
	return 0
}

func day4b(ctx context.Context, cfg *day4bConfig, stdout io.Writer) error {
	m, err := remix.LoadParenModel(filepath.Join(cfg.dir, "model.circ"), filepath.Join(cfg.dir, "store"))
	if err != nil {
		return err
	}
	pc, err := remix.BuildParen(m.Weights)
	if err != nil {
		return err
	}
	ds, err := scrub.LoadDataset(filepath.Join(cfg.dir, "dataset.npz"))
	if err != nil {
		return err
	}
	var exps []remix.ParenExperiment
	for _, e := range remix.ParenExperiments() {
		if len(cfg.only) == 0 || slices.Contains(cfg.only, e.Name) {
			exps = append(exps, e)
		}
	}
	if cfg.dump != "" {
		if err := os.MkdirAll(cfg.dump, 0o755); err != nil {
			return err
		}
	}
	rows, err := remix.RunParen(ctx, pc.Loss, ds, exps, cfg.n, cfg.seed, scrub.RunOptions{DType: cfg.dtype}, cfg.dump)
	if err != nil {
		return err
	}
	if cfg.plots != "" {
		if err := os.MkdirAll(cfg.plots, 0o755); err != nil {
			return err
		}
		if err := writeDay4bLoss(filepath.Join(cfg.plots, "day4b_loss."+cfg.plotFormat), rows); err != nil {
			return err
		}
	}
	if cfg.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			N    int              `json:"n"`
			Seed uint64           `json:"seed"`
			Rows []remix.ParenRow `json:"rows"`
		}{cfg.n, cfg.seed, rows})
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "experiment\tloss\tstderr\tacc\tloss recovered\t(n %d, seed %d)\n", cfg.n, cfg.seed)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.1f%%\t%.3f\t%s\n", r.Name, r.Loss, r.Stderr, 100*r.Acc, r.LossRecovered, r.Title)
	}
	return tw.Flush()
}

// writeDay4bLoss draws one bar per experiment, whiskers ± one standard
// error, the unscrubbed loss dashed.
func writeDay4bLoss(path string, rows []remix.ParenRow) error {
	if len(rows) == 0 {
		return fmt.Errorf("%s: no experiments to plot", path)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("day 4b: scrubbed loss per experiment (n %d, ± 1 s.e.)", rows[0].N)
	p.Y.Label.Text = "binary cross-entropy"
	vs := make(plotter.Values, len(rows))
	wh := &whiskers{width: vg.Points(14)}
	names := make([]string, len(rows))
	top := 0.0
	for i, r := range rows {
		if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) || r.Loss < 0 {
			return fmt.Errorf("%s: loss %v of experiment %s is out of range", path, r.Loss, r.Name)
		}
		vs[i], names[i] = r.Loss, r.Name
		wh.pts = append(wh.pts, whisker{x: float64(i), lo: r.Loss - r.Stderr, hi: r.Loss + r.Stderr})
		top = math.Max(top, math.Max(r.Loss+r.Stderr, r.Original))
	}
	b, err := plotter.NewBarChart(vs, vg.Points(28))
	if err != nil {
		return err
	}
	b.Color = barColors[0]
	b.LineStyle.Width = 0
	p.Add(plotter.NewGrid(), b, wh)
	orig, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: rows[0].Original}, {X: float64(len(rows)) - 0.5, Y: rows[0].Original}})
	if err != nil {
		return err
	}
	orig.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(orig)
	p.Legend.Add(fmt.Sprintf("unscrubbed (%.3g)", rows[0].Original), orig)
	p.Legend.Top = true
	p.Y.Min, p.Y.Max = 0, top*1.15
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(rows))-0.5
	return drawFigure(path, accuracyWidth, accuracyHeight, func(c draw.Canvas) error {
		p.Draw(c)
		return nil
	})
}
