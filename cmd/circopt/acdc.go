package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/circopt/circopt/acdc"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

func init() {
	register("acdc", "acdc -model M.circ|M.safetensors -clean C.npy -corrupt X.npy -metric kl|logit-diff -threshold T [-correct ID -wrong ID] [-receivers auto|heads|qkv] [-format text|json|dot] [-heads N] [-tensors DIR]",
		"automatic circuit discovery: prune the edges between heads, MLPs and embeddings whose patching moves the metric by less than T", runACDC)
}

// acdcJSON is the -format json output.
type acdcJSON struct {
	Metric      string     `json:"metric"`
	Threshold   float64    `json:"threshold"`
	Edges       [][]string `json:"edges"`
	Full        float64    `json:"full"`
	Pruned      float64    `json:"pruned"`
	Corrupt     float64    `json:"corrupt"`
	Evaluations int        `json:"evaluations"`
	Steps       int        `json:"steps"`
	Seconds     float64    `json:"seconds"`
}

func runACDC(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("acdc", stderr)
	var in inputFlags
	in.register(fs)
	model := fs.String("model", "", "`MODEL`: a circuit file printed by circopt import gpt2 (with -tensors), or a GPT-2 .safetensors/.pt state dict")
	heads := fs.Int("heads", 0, "head count `N` of a state dict (default: n_head from config.json beside it)")
	cleanF := fs.String("clean", "", "clean int64 token ids `FILE.npy` [seq]")
	corruptF := fs.String("corrupt", "", "corrupt int64 token ids `FILE.npy` [seq], as long as the clean ones")
	metric := fs.String("metric", "kl", "`METRIC`: kl (KL from the full model) or logit-diff (logit[correct] - logit[wrong])")
	threshold := fs.String("threshold", "", "remove an edge when its patching raises the damage by less than `T`")
	correct := fs.Int64("correct", -1, "correct token `ID` for logit-diff")
	wrong := fs.Int64("wrong", -1, "wrong token `ID` for logit-diff")
	format := fs.String("format", "text", "output `FORMAT`: text, json or dot")
	receivers := fs.String("receivers", "auto", "a head's `RECEIVERS`: heads (one input), qkv (its q, k and v inputs apart) or auto (qkv for attention-only models)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q: the model is given by -model", fs.Arg(0))
	}
	if *model == "" || *cleanF == "" || *corruptF == "" || *threshold == "" {
		return usagef("-model, -clean, -corrupt and -threshold are required")
	}
	if *format != "text" && *format != "json" && *format != "dot" {
		return usagef("-format must be text, json or dot, got %q", *format)
	}
	met, err := acdc.ParseMetric(*metric)
	if err != nil {
		return fmt.Errorf("-metric: %w", err)
	}
	t, err := strconv.ParseFloat(*threshold, 64)
	if err != nil {
		return fmt.Errorf("-threshold: %q is not a number", *threshold)
	}
	recv, err := acdc.ParseReceivers(*receivers)
	if err != nil {
		return fmt.Errorf("-receivers: %w", err)
	}
	if met == acdc.LogitDiff && (*correct < 0 || *wrong < 0) {
		return fmt.Errorf("-metric logit-diff needs -correct ID and -wrong ID (token ids, at least 0)")
	}
	m, err := loadACDCModel(&in, *model, *heads)
	if err != nil {
		return err
	}
	clean, err := loadTokens(*cleanF, "")
	if err != nil {
		return err
	}
	corrupt, err := loadTokens(*corruptF, "")
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := acdc.Run(context.Background(), m, clean, corrupt, acdc.Options{Metric: met, Threshold: t, Correct: *correct, Wrong: *wrong, DType: tensor.Float32, Receivers: recv})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	switch *format {
	case "dot":
		_, err = io.WriteString(stdout, acdc.DOT(res.Edges))
	case "json":
		out := acdcJSON{Metric: string(met), Threshold: t, Edges: [][]string{}, Full: res.Full, Pruned: res.Pruned, Corrupt: res.Corrupt,
			Evaluations: res.Evaluations, Steps: res.Steps, Seconds: secs}
		for _, e := range res.Edges {
			out.Edges = append(out.Edges, []string{e.Sender, e.Receiver})
		}
		enc := json.NewEncoder(stdout)
		err = enc.Encode(out)
	default:
		var b strings.Builder
		for _, e := range res.Edges {
			fmt.Fprintf(&b, "%s -> %s\n", e.Sender, e.Receiver)
		}
		fmt.Fprintf(&b, "# %d edges kept; %s: full %.6g, pruned %.6g, corrupt %.6g; %d evaluations in %d steps, %.3g s\n",
			len(res.Edges), met, res.Full, res.Pruned, res.Corrupt, res.Evaluations, res.Steps, secs)
		_, err = io.WriteString(stdout, b.String())
	}
	return err
}

// loadACDCModel reads a model file with an `# info:` header (printed by
// circopt import gpt2, or rust_circuit's, such as examples/day3/model.circ),
// or imports a GPT-2 state dict directly.
func loadACDCModel(in *inputFlags, path string, heads int) (*acdc.Model, error) {
	if err := checkReadable(path, false); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".safetensors", ".pt":
		if heads < 0 {
			return nil, usagef("-heads must be positive, got %d", heads)
		}
		m, err := transformer.ImportGPT2(path, transformer.ImportOptions{Heads: heads})
		if err != nil {
			return nil, err
		}
		return acdc.FromTransformer(m), nil
	}
	cs, err := in.load(path, tensor.Float32, os.Stdin)
	if err != nil {
		return nil, err
	}
	src, err := readCircuitFile(path)
	if err != nil {
		return nil, err
	}
	eps, err := transformer.ParseInfoHeader(src)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	l, err := transformer.FromParsed(src, cs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := acdc.FromLoaded(l, eps)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
