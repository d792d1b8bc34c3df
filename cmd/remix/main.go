// Command remix runs the REMIX Day 1 experiments on the two MNIST models
// (zero, mean and resampling ablation, path patching) as circuit rewrites
// and prints the test loss and accuracy of every experiment:
//
//	remix [-models DIR] [-mnist DIR] [-format text|json] [-dtype float32|float64]
//	      [-eval compiled|naive] [-only NAME,...] [-plots DIR [-plot-format png|svg]] [-q]
//	      [-ui HOST:PORT]
//	remix [-models DIR] -circuit [-store DIR]
//	remix -day 3 [flags]   (REMIX day 3, see day3.go)
//	remix -day 4b [flags]  (REMIX day 4b, see day4b.go)
//
// Without -models the models shipped in the repository (remix/models, the
// notebook's model_a.pickle and model_b.pickle converted to safetensors)
// are used; DIR holds model_a.pickle and model_b.pickle (PyTorch state
// dicts of TwoLayerSkip). -circuit prints both models as circuits in the
// text format instead of running the experiments; with -store their
// weights are added to that tensor store, so the printed text parses back
// (circopt print -tensors). -plots DIR writes the notebook's figures into
// DIR (created if missing), as PNG or, with -plot-format svg, SVG:
// confusion_A and confusion_B (the baseline's mistakes), last_weights_A and
// last_weights_B (the last layer's weights as 28×28 images per digit),
// accuracy and loss (per experiment, one bar per model, seeds merged into
// mean and min–max). Both models share each figure's colour scale. A
// progress bar goes to stderr when it is a terminal, unless -q. -ui
// HOST:PORT then serves day 1 in the composable UI (see cmd/remix/ui.go)
// until interrupted.
//
// Exit status: 0 success; 1 bad input or failed evaluation; 2 usage error;
// 130 interrupted (SIGINT stops the run between or during evaluations).
// Errors go to stderr as one line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/progress"
	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

func main() {
	// SIGINT cancels the run; remix stops at its next check and exits 130
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	status := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

// usageError marks a bad invocation (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// config is the parsed command line.
type config struct {
	models, mnist, format string
	dtype                 tensor.DType
	eval                  remix.EvalFunc
	evalName              string
	only                  []string
	circuit               bool
	store                 string
	plots, plotFormat     string
	quiet                 bool
	progress              progress.Reporter
	ui                    string
}

// days are the other REMIX days' commands, by their -day value.
var days = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int{}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "remix: internal error: %v\n", r)
			status = 1
		}
	}()
	if d := dayArg(args); d != "" && d != "1" && days[d] != nil {
		return days[d](ctx, args, stdout, stderr)
	}
	cfg, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "remix: %s\n", ue.msg)
		return 2
	}
	if err == nil {
		cfg.progress = progress.Nop
		if f, ok := stderr.(*os.File); ok {
			cfg.progress = progress.Terminal(f, cfg.quiet)
		}
		err = execute(ctx, cfg, stdout)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "remix: interrupted")
		return 130
	}
	if err == nil && cfg.ui != "" {
		err = serveDayOne(ctx, cfg, stdout)
	}
	if err != nil {
		// one line per problem
		fmt.Fprintf(stderr, "remix: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return 1
	}
	return 0
}

// dayArg is the value of a -day flag in args, or "".
func dayArg(args []string) string {
	for i, a := range args {
		if a == "-day" || a == "--day" {
			if i+1 < len(args) {
				return args[i+1]
			}
		} else if v, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), "day="); ok && strings.HasPrefix(a, "-") {
			return v
		}
	}
	return ""
}

func parseArgs(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("remix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printUsage(fs) }
	cfg := &config{}
	fs.StringVar(&cfg.models, "models", "", "directory holding model_a.pickle and model_b.pickle (default: the models shipped in remix/models)")
	fs.StringVar(&cfg.mnist, "mnist", "", "directory of the MNIST IDX files (default: GoMNIST's, see weights.MNISTDir)")
	fs.StringVar(&cfg.format, "format", "text", "output format: text or json")
	dtype := fs.String("dtype", "float32", "evaluation dtype: float32 (as PyTorch) or float64")
	fs.StringVar(&cfg.evalName, "eval", "compiled", "evaluator: compiled (circopt.EvaluateMany) or naive (circuit.EvaluateAll)")
	only := fs.String("only", "", "comma-separated experiment names to run (default: all)")
	fs.BoolVar(&cfg.circuit, "circuit", false, "print the model circuits in the text format instead of running")
	fs.StringVar(&cfg.plots, "plots", "", "also write the figures (confusion matrices, last-layer weights, accuracy and loss charts) into this `DIR`")
	fs.StringVar(&cfg.plotFormat, "plot-format", "png", "file format of the -plots figures: png or svg")
	fs.BoolVar(&cfg.quiet, "q", false, "no progress bar (it is shown only when stderr is a terminal)")
	fs.StringVar(&cfg.ui, "ui", "", "after the experiments, serve day 1 (misclassified images, logits, weights, both models) in the composable UI on `HOST:PORT` until interrupted")
	fs.StringVar(&cfg.store, "store", "", "with -circuit: add the weights to this tensor store so the printed text parses back")
	day := fs.String("day", "1", "the REMIX day to run: 1, or one of the others registered (see -day N -h)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *day != "1" {
		return nil, usageError{fmt.Sprintf("unknown -day %q (want 1 or one of %s)", *day, strings.Join(slices.Sorted(maps.Keys(days)), ", "))}
	}
	if cfg.circuit && cfg.plots != "" {
		return nil, usageError{"-plots does not go with -circuit"}
	}
	if !slices.Contains(plotFormats, cfg.plotFormat) {
		return nil, usageError{fmt.Sprintf("-plot-format must be png or svg, not %q", cfg.plotFormat)}
	}
	if cfg.circuit && cfg.ui != "" {
		return nil, usageError{"-ui does not go with -circuit"}
	}
	if cfg.store != "" && !cfg.circuit {
		return nil, usageError{"-store goes with -circuit"}
	}
	if cfg.format != "text" && cfg.format != "json" {
		return nil, usageError{fmt.Sprintf("-format must be text or json, not %q", cfg.format)}
	}
	switch *dtype {
	case "float32":
		cfg.dtype = tensor.Float32
	case "float64":
		cfg.dtype = tensor.Float64
	default:
		return nil, usageError{fmt.Sprintf("-dtype must be float32 or float64, not %q", *dtype)}
	}
	switch cfg.evalName {
	case "compiled":
		cfg.eval = remix.CompiledEval
	case "naive":
		cfg.eval = remix.NaiveEval
	default:
		return nil, usageError{fmt.Sprintf("-eval must be compiled or naive, not %q", cfg.evalName)}
	}
	if *only != "" {
		known := remix.ExperimentNames(remix.DefaultSeeds)
		for _, n := range strings.Split(*only, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(known, n) {
				return nil, usageError{fmt.Sprintf("-only: unknown experiment %q (known: %s)", n, strings.Join(known, ", "))}
			}
			cfg.only = append(cfg.only, n)
		}
	}
	return cfg, nil
}

// testSet reads MNIST's test set from -mnist DIR, or from the GoMNIST
// module's copy.
func (cfg *config) testSet() (*tensor.Tensor, []int, error) {
	dir := cfg.mnist
	if dir == "" {
		d, err := weights.MNISTDir()
		if err != nil {
			return nil, nil, err
		}
		dir = d
	}
	return weights.LoadMNISTTest(dir)
}

func execute(ctx context.Context, cfg *config, stdout io.Writer) error {
	if err := remix.CheckModelDir(cfg.models); err != nil {
		return err
	}
	if cfg.circuit {
		return printCircuits(cfg, stdout)
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted before the test set is read
	}
	images, labels, err := cfg.testSet()
	if err != nil {
		return err
	}
	rows, err := remix.RunDir(ctx, cfg.models, images, labels, remix.Options{DType: cfg.dtype, Only: cfg.only, Eval: cfg.eval, Progress: cfg.progress})
	if err != nil {
		return err
	}
	if cfg.plots != "" {
		figs, err := remix.FigureData(ctx, cfg.models, images, labels, remix.Options{DType: cfg.dtype, Eval: cfg.eval, Progress: cfg.progress})
		if err != nil {
			return err
		}
		if _, err := writePlots(cfg.plots, cfg.plotFormat, figs, rows); err != nil {
			return err
		}
	}
	if cfg.format == "json" {
		return writeJSON(stdout, rows)
	}
	return writeTable(stdout, rows)
}

// printCircuits prints both models as one text (so the shared input x is
// printed once and every ident is unique), after a comment naming them.
func printCircuits(cfg *config, stdout io.Writer) error {
	var cs []circuit.Circuit
	var names []string
	for _, m := range remix.ModelFiles {
		c, err := remix.LoadModelFrom(cfg.models, m, remix.TestSetSize)
		if err != nil {
			return err
		}
		if cfg.store != "" {
			st, err := weights.OpenStore(cfg.store)
			if err != nil {
				return err
			}
			if err := remix.SaveArrays(st, c); err != nil {
				return err
			}
		}
		cs = append(cs, c)
		names = append(names, fmt.Sprintf("%s (%s)", m.Name, m.File))
	}
	_, err := fmt.Fprintf(stdout, "# TwoLayerSkip models %s, in order\n%s", strings.Join(names, ", "), remix.ModelText(cs...))
	return err
}

// printUsage is -h: the synopsis, the experiments and the flags.
func printUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: remix [flags]          run the experiments, print the table
       remix -circuit [flags]  print models A and B as circuits

Runs the REMIX day 1 experiments on MNIST models A and B (shipped in the
repository; -models DIR for others) and prints test_loss (cross-entropy
with label smoothing 0.1) and test_acc per experiment and model.

experiments (-only takes these names):
`)
	for _, e := range remix.ExperimentNames(remix.DefaultSeeds) {
		fmt.Fprintf(w, "  %s\n", e)
	}
	fmt.Fprintln(w, "\nflags:")
	fs.PrintDefaults()
}
