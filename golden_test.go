package circopt_test

// The golden suite (testdata/golden): every NAME.circ is parsed with random
// tensors, lowered at float64 and optimized with the full pass pipeline
// (verifier on); the printed program must equal NAME.ir, optimizing it again
// must change nothing, and running it must agree with the naive evaluator.
// `CIRCOPT_UPDATE_GOLDEN=1 go test ./...` rewrites the .ir files (an
// environment variable rather than a flag, because `go test ./...` passes a
// flag to every package and packages without it would fail).

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/lower"
	"github.com/circopt/circopt/passes"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

const (
	goldenDir = "testdata/golden"
	// goldenSeed seeds every random Array of the suite; changing it changes
	// every constant hash in the .ir files.
	goldenSeed = 20240611
	// Tolerances of the numeric check: float64 reassociation only.
	goldenRTol = 1e-9
	goldenATol = 1e-10
	// minGoldenFiles is the size the suite must keep.
	minGoldenFiles = 25
)

// updateGolden reports whether the .ir files are to be rewritten.
func updateGolden() bool { return os.Getenv("CIRCOPT_UPDATE_GOLDEN") == "1" }

// goldenCase is one .circ file, parsed, lowered and optimized once per test
// binary (several tests look at the same results).
type goldenCase struct {
	name     string // file name without .circ
	path     string
	circuits []circuit.Circuit
	lowered  *ir.Program
	opt      *ir.Program
	report   *passes.Report
	err      error // the first failure of parse, lower or optimize
}

var (
	goldenOnce  sync.Once
	goldenCases []*goldenCase
	goldenErr   error
)

// loadGolden compiles every .circ file of the suite, in name order.
func loadGolden(t *testing.T) []*goldenCase {
	t.Helper()
	goldenOnce.Do(func() {
		paths, err := filepath.Glob(filepath.Join(goldenDir, "*.circ"))
		if err != nil {
			goldenErr = err
			return
		}
		sort.Strings(paths)
		for _, p := range paths {
			goldenCases = append(goldenCases, compileGolden(p))
		}
	})
	if goldenErr != nil {
		t.Fatal(goldenErr)
	}
	return goldenCases
}

func compileGolden(path string) *goldenCase {
	gc := &goldenCase{name: strings.TrimSuffix(filepath.Base(path), ".circ"), path: path}
	gc.circuits, gc.err = circuit.ParseFile(path, circuit.ParseOptions{
		File:          path,
		RandomTensors: true,
		Seed:          goldenSeed,
		DType:         tensor.Float64,
	})
	if gc.err != nil {
		return gc
	}
	if len(gc.circuits) == 0 {
		gc.err = fmt.Errorf("%s: no circuits", path)
		return gc
	}
	gc.lowered, gc.err = lower.Lower(gc.circuits, lower.Options{DType: tensor.Float64})
	if gc.err != nil {
		gc.err = fmt.Errorf("%s: %w", path, gc.err)
		return gc
	}
	gc.opt, gc.report, gc.err = passes.Run(gc.lowered, passes.Options{Check: true})
	if gc.err != nil {
		gc.err = fmt.Errorf("%s: %w", path, gc.err)
	}
	return gc
}

func TestGolden(t *testing.T) {
	cases := loadGolden(t)
	// An .ir file without its .circ is left over from a removed input.
	irs, err := filepath.Glob(filepath.Join(goldenDir, "*.ir"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range irs {
		if _, err := os.Stat(strings.TrimSuffix(p, ".ir") + ".circ"); err == nil {
			continue
		}
		if updateGolden() {
			if err := os.Remove(p); err != nil {
				t.Error(err)
			}
			continue
		}
		t.Errorf("%s has no .circ input (remove it, or regenerate with CIRCOPT_UPDATE_GOLDEN=1)", p)
	}
	for _, gc := range cases {
		t.Run(gc.name, func(t *testing.T) {
			if gc.err != nil {
				t.Fatal(gc.err)
			}
			irPath := filepath.Join(goldenDir, gc.name+".ir")
			got := gc.opt.String()
			if updateGolden() {
				if err := os.WriteFile(irPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(irPath)
			if err != nil {
				t.Fatalf("%s: %v (regenerate with CIRCOPT_UPDATE_GOLDEN=1 go test ./...)", gc.path, err)
			}
			// line by line: a diff of one long string is unreadable
			if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); d != "" {
				t.Errorf("%s: optimized program differs from %s (-want +got):\n%s", gc.path, irPath, d)
			}
		})
	}
}

// TestGoldenIdempotent: the pipeline run on its own output prints the same
// program (passes agree on normal forms).
func TestGoldenIdempotent(t *testing.T) {
	for _, gc := range loadGolden(t) {
		t.Run(gc.name, func(t *testing.T) {
			if gc.err != nil {
				t.Fatal(gc.err)
			}
			again, rep, err := passes.Run(gc.opt, passes.Options{Check: true})
			if err != nil {
				t.Fatalf("%s: optimizing the optimized program: %v", gc.path, err)
			}
			if d := cmp.Diff(strings.Split(gc.opt.String(), "\n"), strings.Split(again.String(), "\n")); d != "" {
				var changed []string
				for _, ps := range rep.Passes {
					if ps.Changed {
						changed = append(changed, ps.Name)
					}
				}
				t.Errorf("%s: a second optimization changed the program (passes that changed it: %s) (-first +second):\n%s",
					gc.path, strings.Join(changed, ", "), d)
			}
		})
	}
}

// goldenSymbolSeed derives the seed of a free symbol's random value from
// the file and the symbol, so values do not depend on the order of files.
func goldenSymbolSeed(file string, s *circuit.Symbol) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s", goldenSeed, file, s.Name(), s.UUID)
	return h.Sum64()
}

// TestGoldenNumeric: the optimized program, run by the runtime, agrees with
// the naive evaluator at float64 on random values of the free symbols.
func TestGoldenNumeric(t *testing.T) {
	for _, gc := range loadGolden(t) {
		t.Run(gc.name, func(t *testing.T) {
			if gc.err != nil {
				t.Fatal(gc.err)
			}
			// Bind by the name lower gives the input (the symbol's name, its
			// uuid when unnamed): symbols written without a uuid all share the
			// nil uuid, so the name is the key both sides agree on.
			bind := map[string]*tensor.Tensor{}
			for _, s := range circuit.FreeSymbols(gc.circuits...) {
				v, err := tensor.RandN(tensor.Float64, s.Shape(), goldenSymbolSeed(gc.name, s))
				if err != nil {
					t.Fatalf("%s: random value for symbol %s: %v", gc.path, circuit.Label(s), err)
				}
				in := s.Name()
				if in == "" {
					in = s.UUID
				}
				bind[in] = v
			}
			want, err := circuit.EvaluateAll(gc.circuits, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
			if err != nil {
				t.Fatalf("%s: naive evaluation: %v", gc.path, err)
			}
			got, _, err := runtime.Run(gc.opt, bind, tensor.Float64)
			if err != nil {
				t.Fatalf("%s: running the optimized program: %v", gc.path, err)
			}
			if len(gc.opt.Outputs) != len(gc.circuits) {
				t.Fatalf("%s: %d outputs for %d circuits", gc.path, len(gc.opt.Outputs), len(gc.circuits))
			}
			for i, o := range gc.opt.Outputs {
				g, ok := got[o.Name]
				if !ok {
					t.Errorf("%s: runtime returned no output %q", gc.path, o.Name)
					continue
				}
				if !tensor.AllClose(g, want[i], goldenRTol, goldenATol) {
					maxAbs, maxRel, err := tensor.Compare(g, want[i])
					t.Errorf("%s: output %d %q differs from the naive evaluator: max abs err %g, max rel err %g, err %v (shapes %v vs %v)",
						gc.path, i, o.Name, maxAbs, maxRel, err, g.Shape(), want[i].Shape())
				}
			}
		})
	}
}

// TestGoldenCoverage: the suite is big enough, uses every node kind and the
// GeneralFunctions and index forms the format supports, and every pass of the
// table changes at least one file.
func TestGoldenCoverage(t *testing.T) {
	cases := loadGolden(t)
	if len(cases) < minGoldenFiles {
		t.Errorf("%d .circ files in %s, want at least %d", len(cases), goldenDir, minGoldenFiles)
	}
	kinds := map[circuit.Kind][]string{}
	funcs := map[string][]string{}
	index := map[string][]string{}
	changed := map[string][]string{}
	for _, gc := range cases {
		if gc.err != nil {
			t.Errorf("%v", gc.err)
			continue
		}
		circuit.Walk(gc.circuits, func(c circuit.Circuit) {
			kinds[c.Kind()] = appendOnce(kinds[c.Kind()], gc.name)
			switch n := c.(type) {
			case *circuit.GeneralFunction:
				funcs[n.Spec] = appendOnce(funcs[n.Spec], gc.name)
			case *circuit.Index:
				for _, f := range indexForms(n) {
					index[f] = appendOnce(index[f], gc.name)
				}
			case *circuit.Module:
				for i, a := range n.ArgSpecs {
					if a.Batchable && n.Args()[i].Rank() > a.Symbol.Rank() {
						index["module batched argument"] = appendOnce(index["module batched argument"], gc.name)
					}
				}
			}
		})
		for _, ps := range gc.report.Passes {
			if ps.Changed {
				changed[ps.Name] = appendOnce(changed[ps.Name], gc.name)
			}
		}
	}
	for _, k := range circuit.AllKinds() {
		if len(kinds[k]) == 0 {
			t.Errorf("no golden file has a %s node", k)
		}
	}
	for _, f := range []string{"softmax", "log_softmax", "max", "pow", "relu", "rsqrt", "exp"} {
		if len(funcs[f]) == 0 {
			t.Errorf("no golden file uses GeneralFunction %s", f)
		}
	}
	for _, f := range []string{"int", "negative int", "slice", "negative slice", "tensor", "module batched argument"} {
		if len(index[f]) == 0 {
			t.Errorf("no golden file has a(n) %s index", f)
		}
	}
	for _, ps := range passes.Passes() {
		if _, ok := unchangingPasses[ps.Name]; ok {
			continue
		}
		if len(changed[ps.Name]) == 0 {
			t.Errorf("pass %q changes no golden file; add an input that exercises it", ps.Name)
		}
	}
	// Each pass applied alone to the lowered programs changes at least one:
	// the suite has inputs each pass acts on even where, in the pipeline, an
	// earlier pass has already done its work.
	alone := map[string][]string{}
	for _, ps := range passes.Passes() {
		if strings.HasSuffix(ps.Name, "deadcode") {
			continue
		}
		for _, gc := range cases {
			if gc.err != nil {
				continue
			}
			q, err := passes.RunPass(ps.Name, gc.lowered, passes.Options{})
			if err != nil {
				t.Errorf("%s: pass %s alone on the lowered program: %v", gc.path, ps.Name, err)
				continue
			}
			if q.String() != gc.lowered.String() {
				alone[ps.Name] = append(alone[ps.Name], gc.name)
			}
		}
		if len(alone[ps.Name]) == 0 {
			t.Errorf("pass %q, applied alone to the lowered programs, changes no golden file", ps.Name)
		}
	}
	if testing.Verbose() {
		for _, k := range circuit.AllKinds() {
			t.Logf("kind %-16s %s", k, strings.Join(kinds[k], " "))
		}
		for _, ps := range passes.Passes() {
			t.Logf("pass %-16s %s", ps.Name, strings.Join(changed[ps.Name], " "))
		}
		for _, ps := range passes.Passes() {
			t.Logf("alone %-16s %s", ps.Name, strings.Join(alone[ps.Name], " "))
		}
	}
}

// unchangingPasses are passes that cannot change the printed program of a
// lowered .circ file, with the reason; TestGoldenCoverage does not ask them
// to.
var unchangingPasses = map[string]string{
	"early deadcode": "lower.Lower emits no dead values (its documented invariant), so there is nothing to drop",
	"deadcode":       "every rewriting pass already prunes the values its rewrites leave unused",
	// Every rewriting pass re-makes the layout and index values it does not
	// replace through the smart constructors (passes/rewrite.go, normalize),
	// so by the time these run, constfold has fused every chain. They matter
	// when constfold is disabled; the pass-alone check covers them.
	"rearrange": "constfold, running first, already fuses rearrange chains through the smart constructors",
	"index":     "constfold, running first, already fuses index chains through the smart constructors",
}

// indexForms names the index forms an Index node uses.
func indexForms(n *circuit.Index) []string {
	var out []string
	for _, a := range n.Idx {
		switch a.Kind {
		case circuit.IndexInt:
			out = append(out, "int")
			if a.Int < 0 {
				out = append(out, "negative int")
			}
		case circuit.IndexSlice:
			out = append(out, "slice")
			if a.Start != nil && *a.Start < 0 || a.Stop != nil && *a.Stop < 0 {
				out = append(out, "negative slice")
			}
		case circuit.IndexTensor:
			out = append(out, "tensor")
		}
	}
	return out
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
