package main

import (
	"fmt"
	"io"
	"os"

	"github.com/tiktoken-go/tokenizer"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
	"github.com/circopt/circopt/weights"
)

func init() {
	register("bind", "bind -tokens TOKS.npy|-text TEXT -tensors DIR [-random-tensors] [-loss] [-split-heads] [-split-positions] MODEL.circ",
		"call a model file (an `# info:` header: circopt import, or rust_circuit's) on token ids; the root 't.call' is the logits (or the loss)", runBindTokens)
}

func runBindTokens(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bind", stderr)
	var in inputFlags
	in.register(fs)
	toks := fs.String("tokens", "", "int64 token ids `FILE.npy` of shape [seq] or [batch, seq]")
	text := fs.String("text", "", "`TEXT` to tokenize with GPT-2's BPE (r50k_base, built in)")
	var opts transformer.BindOptions
	fs.BoolVar(&opts.Loss, "loss", false, "the root is the mean next-token cross-entropy")
	fs.BoolVar(&opts.SplitHeads, "split-heads", false, "one node per attention head, 'a{layer}.h{head}'")
	fs.BoolVar(&opts.SplitPositions, "split-positions", false, "'t.input' is a concatenation of 't.input.p{i}', one per position")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := oneFile(fs)
	if err != nil {
		return err
	}
	if (*toks == "") == (*text == "") {
		return usagef("give exactly one of -tokens and -text")
	}
	if in.tensorsDir == "" {
		return usagef("-tensors DIR is required: the model's weights and the new arrays live there")
	}
	tokens, err := loadTokens(*toks, *text)
	if err != nil {
		return err
	}
	// the bound call's new arrays go to the store: with -random-tensors it
	// may not exist yet
	if err := os.MkdirAll(in.tensorsDir, 0o755); err != nil {
		return fmt.Errorf("%s: tensor store: %w", in.tensorsDir, err)
	}
	cs, err := in.load(path, tensor.Float32, os.Stdin)
	if err != nil {
		return err
	}
	src, err := readCircuitFile(path)
	if err != nil {
		return err
	}
	l, err := transformer.FromParsed(src, cs)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	c, err := transformer.Bind(l, tokens, opts)
	if err != nil {
		if *toks != "" {
			return fmt.Errorf("%s: %w", *toks, err)
		}
		return fmt.Errorf("-text: %w", err)
	}
	if err := storeArrays(in.tensorsDir, c); err != nil {
		return err
	}
	_, err = fmt.Fprint(stdout, circuit.Print(c))
	return err
}

// loadTokens reads int64 ids from a .npy file or tokenizes text with
// GPT-2's BPE, whose vocabulary is compiled into the binary.
func loadTokens(file, text string) (*tensor.Tensor, error) {
	if file != "" {
		if err := checkReadable(file, false); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		t, err := weights.LoadNpy(file)
		if err != nil {
			return nil, fileErr(file, err)
		}
		return t, nil
	}
	enc, err := tokenizer.Get(tokenizer.R50kBase)
	if err != nil {
		return nil, fmt.Errorf("-text: %w", err)
	}
	ids, _, err := enc.Encode(text)
	if err != nil {
		return nil, fmt.Errorf("-text: %w", err)
	}
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return tensor.FromInt64([]int{len(out)}, out)
}
