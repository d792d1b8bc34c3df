package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

func init() { days["3"] = runDay3 }

// day3Config is day 3's command line.
type day3Config struct {
	dir, format, plots, plotFormat string
	dump                           string
	n                              int
	seed                           uint64
	dtype                          tensor.DType
}

// runDay3 is `remix -day 3`: the induction-head scrubs of REMIX day 3 on
// the trained model in examples/day3, as a table, and with -plots the
// attention patterns of the induction and previous-token heads.
func runDay3(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("remix -day 3", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := day3Config{}
	fs.String("day", "3", "the REMIX day (3 here; see remix -h for day 1)")
	fs.StringVar(&cfg.dir, "dir", "examples/day3", "directory of model.circ, store/, data.npz and the hypothesis files")
	fs.StringVar(&cfg.format, "format", "text", "output format: text or json")
	fs.StringVar(&cfg.plots, "plots", "", "also write the attention patterns of the induction and previous-token heads and the loss bars into this `DIR`")
	fs.StringVar(&cfg.plotFormat, "plot-format", "png", "file format of the -plots figures: png or svg")
	fs.StringVar(&cfg.dump, "dump-samples", "", "write the sampled indices (ref, datum_<node>) and the head split to `FILE.npz`, for testdata/day3/scrub_torch.py")
	fs.IntVar(&cfg.n, "n", 2000, "reference examples per scrub")
	fs.Uint64Var(&cfg.seed, "seed", 0, "sampling seed")
	dtype := fs.String("dtype", "float32", "evaluation dtype: float32 or float64")
	fs.Bool("q", false, "accepted for day 1's flag set; day 3 shows no progress bar")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "remix: %v\n", err)
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "remix: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q", fs.Arg(0))
	case cfg.format != "text" && cfg.format != "json":
		return usage("-format must be text or json, got %q", cfg.format)
	case cfg.plotFormat != "png" && cfg.plotFormat != "svg":
		return usage("-plot-format must be png or svg, got %q", cfg.plotFormat)
	case cfg.n < 1:
		return usage("-n must be at least 1, got %d", cfg.n)
	}
	dt, err := tensor.ParseDType(*dtype)
	if err != nil || !dt.IsFloat() {
		return usage("-dtype must be float32 or float64, got %q", *dtype)
	}
	cfg.dtype = dt
	if err := day3(ctx, cfg, stdout); errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "remix: interrupted")
		return 130
	} else if err != nil {
		fmt.Fprintf(stderr, "remix: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return 1
	}
	return 0
}

func day3(ctx context.Context, cfg day3Config, stdout io.Writer) error {
	m, err := remix.LoadDay3Model(filepath.Join(cfg.dir, "model.circ"), filepath.Join(cfg.dir, "store"))
	if err != nil {
		return err
	}
	loss, err := remix.Day3Loss(m, remix.Day3TrainedHeads, remix.Day3Seq)
	if err != nil {
		return err
	}
	ds, err := scrub.LoadDataset(filepath.Join(cfg.dir, "data.npz"))
	if err != nil {
		return err
	}
	t, err := remix.RunDay3(ctx, cfg.dir, loss, ds, cfg.n, cfg.seed, cfg.dtype)
	if err != nil {
		return err
	}
	if cfg.dump != "" {
		if err := scrub.WriteNpz(cfg.dump, remix.Day3SampleArrays(t)); err != nil {
			return err
		}
	}
	if cfg.format == "json" {
		err = json.NewEncoder(stdout).Encode(day3JSON(t))
	} else {
		err = printDay3(stdout, t)
	}
	if err != nil || cfg.plots == "" {
		return err
	}
	files, err := writeDay3Plots(cfg, m, loss, ds, t)
	if err != nil {
		return err
	}
	if cfg.format == "text" {
		fmt.Fprintf(stdout, "\nplots: %s\n", strings.Join(files, ", "))
	}
	return nil
}

type day3Summary struct {
	Mean   float64 `json:"mean"`
	Stderr float64 `json:"stderr"`
}

type day3Row struct {
	File      string  `json:"file"`
	Node      string  `json:"node"`
	Desc      string  `json:"desc"`
	Loss      float64 `json:"loss"`
	Stderr    float64 `json:"stderr"`
	Recovered float64 `json:"loss_recovered"`
}

type day3Out struct {
	N          int         `json:"n"`
	Seed       uint64      `json:"seed"`
	DType      string      `json:"dtype"`
	Unscrubbed day3Summary `json:"unscrubbed"`
	Random     day3Summary `json:"random"`
	Rows       []day3Row   `json:"rows"`
}

func day3JSON(t *remix.Day3Table) day3Out {
	o := day3Out{N: t.N, Seed: t.Seed, DType: t.DType.String(),
		Unscrubbed: day3Summary{t.Unscrubbed.Mean, t.Unscrubbed.Stderr}, Random: day3Summary{t.Random.Mean, t.Random.Stderr}}
	for _, r := range t.Rows {
		o.Rows = append(o.Rows, day3Row{r.File, r.Node, r.Desc, r.Loss, r.Stderr, r.Recovered})
	}
	return o
}

// printDay3 writes the table as the README's markdown.
func printDay3(w io.Writer, t *remix.Day3Table) error {
	var b strings.Builder
	fmt.Fprintf(&b, "REMIX day 3: n = %d reference examples, seed %d, %s; loss = mean next-token loss on repeated tokens\n\n", t.N, t.Seed, t.DType)
	fmt.Fprintf(&b, "| experiment | hypothesis | loss | loss recovered |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| unscrubbed | | %.4f ± %.4f | 1.000 |\n", t.Unscrubbed.Mean, t.Unscrubbed.Stderr)
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "| %s | `%s` | %.4f ± %.4f | %.3f |\n", r.Desc, r.File, r.Loss, r.Stderr, r.Recovered)
	}
	fmt.Fprintf(&b, "| every input array random (tokens, labels, mask) | | %.4f ± %.4f | |\n", t.Random.Mean, t.Random.Stderr)
	_, err := io.WriteString(w, b.String())
	return err
}

// ensureDir creates dir if missing.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-plots: %w", err)
	}
	return nil
}
