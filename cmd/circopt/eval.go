package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/progress"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

func init() {
	register("eval", "eval [-naive] [-dtype float32|float64] [-seed N] [-random-tensors] [-random-symbols] [-tensors DIR] [-bind NAME=FILE.npy]... [-format text|json] [-o OUT.npz|OUT.npy] [-max-memory BYTES] [-q] FILE|-...",
		"evaluate every top-level circuit of every FILE in one plan (free Symbols must be bound with -bind)", runEval)
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	var in inputFlags
	in.register(fs)
	naive := fs.Bool("naive", false, "use the naive reference evaluator instead of the compiled plan")
	dtypeName := fs.String("dtype", "float32", "evaluation dtype `float32|float64`")
	fs.Uint64Var(&in.seed, "seed", 0, "`N` seeds the Array rand draws (and -random-symbols)")
	format := fs.String("format", "text", "output `text|json`")
	out := fs.String("o", "", "save the outputs to `OUT.npz` under their names (or OUT.npy when there is exactly one) instead of printing them")
	randomSymbols := fs.Bool("random-symbols", false, "give free Symbols not bound with -bind normal draws seeded by -seed")
	var binds multiFlag
	fs.Var(&binds, "bind", "`NAME=FILE.npy` binds the free Symbol NAME (or uuid) to a float .npy file (repeatable)")
	quiet := fs.Bool("q", false, "no progress bar (drawn on stderr only when it is a terminal)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	bar := progress.Auto(stderr, *quiet)
	defer bar.Finish()
	paths, err := evalFiles(fs.Args())
	if err != nil {
		return err
	}
	dt, err := tensor.ParseDType(*dtypeName)
	if err != nil || !dt.IsFloat() {
		return usagef("-dtype must be float32 or float64, got %q", *dtypeName)
	}
	if *format != "text" && *format != "json" {
		return usagef("-format must be text or json, got %q", *format)
	}
	if err := checkOutPath(*out); err != nil {
		return err
	}
	limit := in.memLimit()
	if err := checkBindSizes(binds, limit); err != nil {
		return err
	}
	bindings, err := loadBindings(binds)
	if err != nil {
		return err
	}
	files, err := loadEvalFiles(&in, paths, dt, bar)
	if err != nil {
		return err
	}
	// Symbols with symbolic sizes (a model file's t.input) bind as Module
	// arguments first, so the sizes their arrays fix resolve throughout.
	for i := range files {
		if files[i].cs, err = bindSymbolicSizes(files[i].label, files[i].cs, bindings); err != nil {
			return err
		}
	}
	cs, names := files.all()
	if strings.HasSuffix(*out, ".npy") && len(cs) != 1 {
		return usagef("-o %s: a .npy file holds one output, but there are %d; use a .npz file", *out, len(cs))
	}
	inputs, err := files.bind(bindings, *randomSymbols, in.seed)
	if err != nil {
		return err
	}
	held := bindingBytes(bindings) + arrayBytes(cs) + encodeBytes(cs, dt)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	vals, err := evaluate(ctx, files.label(), cs, dt, inputs, *naive, limit, held, bar)
	if err != nil {
		return err
	}
	if *out != "" {
		return saveOutputs(*out, names, vals, dt)
	}
	if *format == "json" {
		outs := make([]evalOutput, len(cs))
		for i := range cs {
			outs[i] = evalOutput{Name: names[i], Shape: nonNilShape(vals[i].Shape()), DType: dt.String(), Data: floatList{vals[i], dt}}
		}
		enc := json.NewEncoder(stdout)
		return enc.Encode(struct {
			Outputs []evalOutput `json:"outputs"`
		}{outs})
	}
	for i := range cs {
		fmt.Fprintf(stdout, "%s %s %s\n", quoteName(names[i]), shapeText(vals[i].Shape()), dt)
		fmt.Fprintln(stdout, formatValues(vals[i], dt))
	}
	return nil
}

// evaluate runs the compiled plan, or the naive reference evaluator with
// -naive, after checking the memory estimate against limit (0: none): an
// allocation the machine cannot satisfy kills a Go process outright. held
// is what is already in memory or will be besides the evaluation itself
// (loaded inputs, the output's encoding); the compiled plan gets the rest
// as its MaxMemory, so its own schedule reorders to fit or refuses.
func evaluate(ctx context.Context, path string, cs []circuit.Circuit, dt tensor.DType, bindings map[string]*tensor.Tensor, naive bool, limit, held int64, bar progress.Reporter) ([]*tensor.Tensor, error) {
	defer bar.Finish()
	if naive {
		if need := naiveBytes(cs, dt) + held; limit > 0 && need > limit {
			return nil, fmt.Errorf("%s: %w (see -max-memory)", path, &runtime.OverMemoryError{What: "the naive evaluation", Need: need, Limit: limit})
		}
		bar.Start(1, "eval (naive)")
		vals, err := circuit.EvaluateAll(cs, circuit.EvalOptions{DType: dt, Bindings: bindings})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return vals, nil
	}
	// one step per optimization pass, one for the run
	bar.Start(len(enabledPasses(nil))+1, "eval")
	opts := circopt.Options{DType: dt, AfterPass: func(string) { bar.Add(1) }}
	if limit > 0 {
		opts.MaxMemory = max(limit-held, 1)
	}
	plan, err := circopt.Compile(cs, opts)
	var over *runtime.OverMemoryError
	if errors.As(err, &over) {
		return nil, fmt.Errorf("%s: %w (see -max-memory)", path, &runtime.OverMemoryError{What: "the compiled plan", Need: over.Need + held, Limit: limit})
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	vals, _, err := plan.RunContext(ctx, bindings)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	bar.Add(1)
	return vals, nil
}

// naiveBytes bounds the reference evaluator's memory: it keeps every
// distinct node's value, and a kernel may hold float64 working copies of
// its operands and result besides (twice the largest value in float64).
func naiveBytes(cs []circuit.Circuit, dt tensor.DType) int64 {
	var n, largest float64
	circuit.Walk(cs, func(c circuit.Circuit) {
		n += numel(c.Shape())
		largest = max(largest, numel(c.Shape()))
	})
	return clampBytes(n*float64(dt.Size()) + 2*largest*8)
}

// arrayBytes is the memory the parsed circuits' Arrays hold.
func arrayBytes(cs []circuit.Circuit) int64 {
	var n float64
	circuit.Walk(cs, func(c circuit.Circuit) {
		if a, ok := c.(*circuit.Array); ok {
			n += float64(a.Value.Bytes())
		}
	})
	return clampBytes(n)
}

// encodeBytes bounds printing the outputs: the longest shortest-decimal
// of a value of dt plus a separator per element, built in a growing buffer
// and copied by the encoder (four times that), plus one contiguous copy of
// the largest output.
func encodeBytes(cs []circuit.Circuit, dt tensor.DType) int64 {
	perValue := 25.0 // -1.2345678901234567e-308 and a separator
	if dt == tensor.Float32 {
		perValue = 16
	}
	var n, largest float64
	for _, c := range cs {
		n += numel(c.Shape())
		largest = max(largest, numel(c.Shape()))
	}
	return clampBytes(4*n*perValue + largest*float64(dt.Size()))
}

// numel is a float so that absurd shapes cannot overflow.
func numel(shape []int) float64 {
	n := 1.0
	for _, d := range shape {
		if circuit.IsSymbolic(d) {
			continue // a Module spec's symbolic size is never materialised
		}
		n *= float64(d)
	}
	return n
}

func clampBytes(b float64) int64 {
	if b > math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return int64(b)
}

type evalOutput struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	DType string    `json:"dtype"`
	Data  floatList `json:"data"`
}

// floatList is a tensor's values, flat in C order, encoded as a JSON array
// straight from the tensor (no float64 copy). Each value prints as the
// shortest decimal that reads back to the same value of its dtype (0.1 in
// float32 prints as 0.1, not 0.10000000149011612); non-finite values
// become the strings "nan", "inf", "-inf", which JSON numbers cannot
// express and numpy's float() and np.array(..., dtype=float) accept.
type floatList struct {
	t  *tensor.Tensor
	dt tensor.DType
}

func (l floatList) MarshalJSON() ([]byte, error) {
	var sb strings.Builder
	sb.WriteByte('[')
	l.each(func(i int, v float64) {
		if i > 0 {
			sb.WriteByte(',')
		}
		if s, ok := nonFinite(v); ok {
			sb.WriteString(`"` + s + `"`)
		} else {
			sb.WriteString(formatFloat(v, l.dt))
		}
	})
	sb.WriteByte(']')
	return []byte(sb.String()), nil
}

// each visits the values in C order.
func (l floatList) each(f func(i int, v float64)) {
	t := l.t
	if t.DType() != l.dt {
		t = t.Cast(l.dt)
	}
	t = t.Contiguous()
	if d := t.Float32Data(); d != nil {
		for i, v := range d {
			f(i, float64(v))
		}
		return
	}
	for i, v := range t.Float64Data() {
		f(i, v)
	}
}

func nonFinite(v float64) (string, bool) {
	switch {
	case math.IsNaN(v):
		return "nan", true
	case math.IsInf(v, 1):
		return "inf", true
	case math.IsInf(v, -1):
		return "-inf", true
	}
	return "", false
}

func formatFloat(v float64, dt tensor.DType) string {
	if s, ok := nonFinite(v); ok {
		return s
	}
	bits := 64
	if dt == tensor.Float32 {
		bits = 32
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}

// jsonFloat encodes one float64 like floatList does (for verify's errors).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if s, ok := nonFinite(float64(f)); ok {
		return []byte(`"` + s + `"`), nil
	}
	return []byte(strconv.FormatFloat(float64(f), 'g', -1, 64)), nil
}

func nonNilShape(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// outputNames names the outputs as lowering names the program's outputs,
// so eval, verify and opt agree: the root's name, "output<i>" when it is
// unnamed, and "#2", "#3"... appended to a name already taken.
func outputNames(cs []circuit.Circuit) []string {
	used := map[string]bool{}
	out := make([]string, len(cs))
	for i, c := range cs {
		base := c.Name()
		if base == "" {
			base = "output" + strconv.Itoa(i)
		}
		name := base
		for k := 2; used[name]; k++ {
			name = base + "#" + strconv.Itoa(k)
		}
		used[name] = true
		out[i] = name
	}
	return out
}

func quoteName(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`).Replace(s) + "'"
}

func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func formatValues(t *tensor.Tensor, dt tensor.DType) string {
	var sb strings.Builder
	sb.WriteByte('[')
	floatList{t, dt}.each(func(i int, v float64) {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(formatFloat(v, dt))
	})
	sb.WriteByte(']')
	return sb.String()
}
