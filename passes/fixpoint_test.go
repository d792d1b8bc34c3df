package passes

import (
	"testing"

	"github.com/circopt/circopt/ir"
	fix "github.com/circopt/circopt/ir/fixpoint"
)

// TestFixpointSaysWhyItStopped: the three ways a sweep loop ends, each
// recorded in the Context with the sweeps it took.
func TestFixpointSaysWhyItStopped(t *testing.T) {
	a := parseIR(t, "%0 = input \"x\" : f64[2]\n%1 = neg %0 : f64[2]\noutput \"y\" %1\n")
	b := parseIR(t, "%0 = input \"x\" : f64[2]\n%1 = exp %0 : f64[2]\noutput \"y\" %1\n")
	scale := 0.0
	cases := []struct {
		name  string
		sweep func(*ir.Program) (*ir.Program, error)
		stop  fix.Stop
		n     int
	}{
		{"identity", func(p *ir.Program) (*ir.Program, error) { return p, nil }, fix.FixedPoint, 1},
		{"to b then stays", func(*ir.Program) (*ir.Program, error) { return b, nil }, fix.FixedPoint, 2},
		{"a b a", func(p *ir.Program) (*ir.Program, error) {
			if p == a {
				return b, nil
			}
			return a, nil
		}, fix.CycleFound, 2},
		{"always new", func(*ir.Program) (*ir.Program, error) {
			scale++
			bd := ir.NewBuilder()
			x, _ := bd.Input("x", a.Values[0].Type)
			y, err := bd.Add(ir.OpScale, ir.Attrs{"factor": scale}, x)
			bd.Output("y", y)
			return bd.Build(), err
		}, fix.LimitReached, 5},
	}
	for _, c := range cases {
		ctx := &Context{}
		if _, err := fixpointN(a, ctx, 5, c.sweep); err != nil {
			t.Fatal(err)
		}
		if ctx.stop != c.stop || ctx.sweeps != c.n {
			t.Errorf("%s: %v after %d sweeps, want %v after %d", c.name, ctx.stop, ctx.sweeps, c.stop, c.n)
		}
	}
}

// TestReportCarriesFixpoint: the pipeline's Report names each push-down
// run's stop reason, and only loops have one.
func TestReportCarriesFixpoint(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[4,3]
%1 = exp %0 : f64[4,3]
%2 = slice [0,0] [2,3] %1 : f64[2,3]
output "y" %2
`)
	_, rep, err := Run(p, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	loops := 0
	for _, s := range rep.Passes {
		switch s.Name {
		case "pushdown", "late pushdown":
			loops++
			if s.Stop != fix.FixedPoint || s.Sweeps < 1 || s.Fixpoint() == "" {
				t.Errorf("%s: %q", s.Name, s.Fixpoint())
			}
		default:
			if s.Stop != 0 || s.Fixpoint() != "" {
				t.Errorf("%s has no loop but reports %q", s.Name, s.Fixpoint())
			}
		}
	}
	if loops != 2 || len(rep.Unsettled()) != 0 {
		t.Errorf("%d push-down runs, unsettled %v", loops, rep.Unsettled())
	}
}
