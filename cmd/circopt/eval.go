package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

func init() {
	register("eval", "evaluate every top-level circuit", runEval)
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	var in inputFlags
	in.register(fs)
	naive := fs.Bool("naive", false, "use the naive reference evaluator instead of the compiled plan")
	dtypeName := fs.String("dtype", "float32", "evaluation dtype: float32 or float64")
	fs.Uint64Var(&in.seed, "seed", 0, "seed for `Array rand` draws")
	format := fs.String("format", "text", "output format: text or json")
	var binds multiFlag
	fs.Var(&binds, "bind", "bind a Symbol: `NAME=FILE.npy` (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := oneFile(fs)
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
	bindings, err := loadBindings(binds)
	if err != nil {
		return err
	}
	cs, err := in.load(path, dt, os.Stdin)
	if err != nil {
		return err
	}
	if err := checkBound(path, cs, bindings); err != nil {
		return err
	}
	vals, err := evaluate(cs, dt, bindings, *naive)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	outs := make([]evalOutput, len(cs))
	for i, c := range cs {
		outs[i] = evalOutput{Name: outputName(c, i), Shape: nonNilShape(vals[i].Shape()), DType: dt.String(), Data: jsonFloats(vals[i].Float64s())}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		return enc.Encode(struct {
			Outputs []evalOutput `json:"outputs"`
		}{outs})
	}
	for _, o := range outs {
		fmt.Fprintf(stdout, "%s %s %s\n", quoteName(o.Name), shapeText(o.Shape), o.DType)
		fmt.Fprintln(stdout, formatValues(o.Data))
	}
	return nil
}

// evaluate runs the compiled plan, or the naive reference evaluator with -naive.
func evaluate(cs []circuit.Circuit, dt tensor.DType, bindings map[string]*tensor.Tensor, naive bool) ([]*tensor.Tensor, error) {
	if naive {
		return circuit.EvaluateAll(cs, circuit.EvalOptions{DType: dt, Bindings: bindings})
	}
	return circopt.EvaluateMany(cs, bindings, circopt.Options{DType: dt})
}

type evalOutput struct {
	Name  string      `json:"name"`
	Shape []int       `json:"shape"`
	DType string      `json:"dtype"`
	Data  []jsonFloat `json:"data"`
}

// jsonFloat encodes non-finite values as the strings "nan", "inf", "-inf",
// which JSON numbers cannot express.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"nan"`), nil
	case math.IsInf(v, 1):
		return []byte(`"inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-inf"`), nil
	}
	return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
}

func jsonFloats(v []float64) []jsonFloat {
	out := make([]jsonFloat, len(v))
	for i, x := range v {
		out[i] = jsonFloat(x)
	}
	return out
}

func nonNilShape(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

func outputName(c circuit.Circuit, i int) string {
	if c.Name() != "" {
		return c.Name()
	}
	return fmt.Sprintf("output%d", i)
}

func quoteName(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func formatValues(v []jsonFloat) string {
	parts := make([]string, len(v))
	for i, x := range v {
		b, _ := x.MarshalJSON()
		parts[i] = strings.Trim(string(b), `"`)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// loadBindings reads every -bind NAME=FILE.npy.
func loadBindings(binds []string) (map[string]*tensor.Tensor, error) {
	out := map[string]*tensor.Tensor{}
	for _, b := range binds {
		name, file, ok := strings.Cut(b, "=")
		if !ok || name == "" || file == "" {
			return nil, usagef("-bind wants NAME=FILE.npy, got %q", b)
		}
		t, err := weights.LoadNpy(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		out[name] = t
	}
	return out, nil
}

// checkBound reports every free Symbol without a binding, one line each.
func checkBound(path string, cs []circuit.Circuit, bindings map[string]*tensor.Tensor) error {
	var msgs []string
	for _, s := range circuit.FreeSymbols(cs...) {
		if _, ok := bindings[s.Name()]; ok && s.Name() != "" {
			continue
		}
		if _, ok := bindings[s.UUID]; ok {
			continue
		}
		msgs = append(msgs, fmt.Sprintf("%s: unbound Symbol %s of shape %s (pass -bind %s=FILE.npy)", path, circuit.Label(s), shapeText(s.Shape()), bindName(s)))
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%s", strings.Join(msgs, "\n"))
	}
	return nil
}

func bindName(s *circuit.Symbol) string {
	if s.Name() != "" {
		return s.Name()
	}
	return s.UUID
}
