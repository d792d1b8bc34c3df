package passes

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
)

const smallIR = `
%0 = input "x" : f64[4,3]
%1 = input "w" : f64[3,5]
%2 = input "v" : f64[5]
%3 = exp %0 : f64[4,3]
%4 = exp %0 : f64[4,3]
%5 = add %3 %4 : f64[4,3]
%6 = einsum "ab,bc->ac" %5 %1 : f64[4,5]
%7 = einsum "ac,c->a" %6 %2 : f64[4]
%8 = slice [1] [3] %7 : f64[2]
output "y" %8
`

func TestTableIsConsistent(t *testing.T) {
	if err := checkTable(table, constraints); err != nil {
		t.Fatal(err)
	}
	names := Names()
	if len(names) != len(table) || names[0] != table[0].name {
		t.Fatalf("Names %v", names)
	}
	for _, n := range names {
		if ps, ok := Lookup(n); !ok || ps.Name != n {
			t.Fatalf("Lookup(%q) = %v, %v", n, ps.Name, ok)
		}
	}
	if _, ok := Lookup("no such pass"); ok {
		t.Fatal("Lookup found a pass that does not exist")
	}
	if len(Constraints()) != len(constraints) || !strings.Contains(Constraints()[0], " before ") {
		t.Fatalf("Constraints %v", Constraints())
	}
	// Passes is a copy: editing it leaves the pipeline alone.
	ps := Passes()
	if len(ps) != len(table) || ps[0].Name != table[0].name || ps[0].Reason != table[0].reason {
		t.Fatalf("Passes %v", ps)
	}
	ps[0].Name, ps[len(ps)-1].Required = "edited", false
	if Names()[0] == "edited" || !Passes()[len(ps)-1].Required {
		t.Fatal("Passes returned the table itself")
	}
	if q, err := RunPass("cse", parseIR(t, smallIR), Options{}); err != nil || countOps(q, ir.OpExp) != 1 {
		t.Fatalf("RunPass cse: %v\n%s", err, q)
	}
	if _, err := RunPass("no such pass", parseIR(t, smallIR), Options{}); err == nil {
		t.Fatal("RunPass ran a pass that does not exist")
	}
}

func TestCheckTableRejectsBadTables(t *testing.T) {
	ok := pass{name: "a", fn: deadcode, reason: "r"}
	b := pass{name: "b", fn: deadcode, reason: "r"}
	cases := []struct {
		table []pass
		order []constraint
		want  string
	}{
		{[]pass{ok, ok}, nil, "twice"},
		{[]pass{ok, {name: "b", fn: deadcode}}, nil, "no reason"},
		{[]pass{ok, {name: "b", reason: "r"}}, nil, "no function"},
		{[]pass{ok, b}, []constraint{{"b", "a", "r"}}, "must run before"},
		{[]pass{ok, b}, []constraint{{"a", "zz", "r"}}, "unknown pass"},
		{[]pass{ok, b}, []constraint{{"a", "b", ""}}, "no reason"},
	}
	for _, c := range cases {
		err := checkTable(c.table, c.order)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("checkTable: got %v, want %q", err, c.want)
		}
	}
}

func TestRunOptimizesAndReports(t *testing.T) {
	p := parseIR(t, smallIR)
	q, rep, err := Run(p, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	verifyClean(t, "pipeline output", q)
	checkEquivalent(t, p, q, 2)
	if len(rep.Passes) != len(table) || rep.ValuesBefore != len(p.Values) {
		t.Fatalf("report %+v", rep)
	}
	if last := rep.Passes[len(rep.Passes)-1]; last.ValuesAfter != len(q.Values) {
		t.Fatalf("last stat %+v, program has %d values", last, len(q.Values))
	}
	changed := map[string]bool{}
	for _, s := range rep.Passes {
		changed[s.Name] = s.Changed
	}
	// exp x twice -> cse; x+x... -> addfold; the slice moves into x -> pushdown.
	for _, n := range []string{"cse", "addfold", "pushdown"} {
		if !changed[n] {
			t.Errorf("pass %s did not change the program", n)
		}
	}
	// 2·(exp(x[1:3]) · (w·v)): the slice reached the input and the
	// matrix-vector product went first.
	wantIR(t, q, `
%0 = input "x" : f64[4,3]
%1 = input "w" : f64[3,5]
%2 = input "v" : f64[5]
%3 = slice [1,0] [3,3] %0 : f64[2,3]
%4 = exp %3 : f64[2,3]
%5 = einsum "ab,b->a" %1 %2 : f64[3]
%6 = einsum "ab,b->a" %4 %5 : f64[2]
%7 = scale 2 %6 : f64[2]
output "y" %7
`)
}

func TestRunRefusesBadOptions(t *testing.T) {
	p := parseIR(t, smallIR)
	if _, _, err := Run(p, Options{Disable: []string{"deadcode"}}); err == nil || !strings.Contains(err.Error(), "required") {
		t.Fatalf("disabling a required pass: %v", err)
	}
	if _, _, err := Run(p, Options{Disable: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "no such pass") {
		t.Fatalf("disabling an unknown pass: %v", err)
	}
	if _, _, err := Run(p, Options{DumpAfter: []string{"nope"}}); err == nil {
		t.Fatal("dumping after an unknown pass: no error")
	}
	if _, _, err := Run(nil, Options{}); err == nil {
		t.Fatal("nil program: no error")
	}
}

func TestRunDisable(t *testing.T) {
	p := parseIR(t, smallIR)
	q, rep, err := Run(p, Options{Disable: []string{"pushdown", "late pushdown"}, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Passes {
		if s.Name == "pushdown" {
			t.Fatal("disabled pass ran")
		}
	}
	if countOps(q, ir.OpSlice) != 1 || q.Values[len(q.Values)-1].Op != ir.OpSlice {
		t.Fatalf("without push-down the slice stays last:\n%s", q)
	}
	checkEquivalent(t, p, q, 4)
}

func TestRunRejectsInvalidInput(t *testing.T) {
	p := &ir.Program{Values: []*ir.Value{{ID: 0, Op: ir.OpExp, Operands: []int{7}}}}
	_, _, err := Run(p, Options{})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Stage != "input" {
		t.Fatalf("got %v, want an input VerifyError", err)
	}
}

func TestDumpAfter(t *testing.T) {
	p := parseIR(t, chainIR)
	var buf bytes.Buffer
	q, rep, err := Run(p, Options{DumpAfter: []string{"einsum"}, Dump: &buf})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "# after einsum\n# path ab,cd,bc,de->ae [10,1000] [10,1000] [1000,10] [1000,10]: dp: ") {
		t.Fatalf("dump:\n%s", out)
	}
	if len(rep.Notes) == 0 || rep.Notes[0].Pass != "einsum" {
		t.Fatalf("notes %v", rep.Notes)
	}
	// The dump is the printed program: it parses back (comments ignored).
	back, err := ir.Parse("dump", buf.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if back.String() != q.String() { // nothing after einsum changes this program
		t.Fatalf("dump parses to\n%s\nfinal is\n%s", back, q)
	}
	buf.Reset()
	if _, _, err := Run(p, Options{DumpAfter: []string{"all"}, Dump: &buf}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "# after "); n != len(table) {
		t.Fatalf("dump all: %d headers, want %d", n, len(table))
	}
}

// withTable swaps in a test table (tests using it must not run in parallel).
func withTable(t *testing.T, tb []pass) {
	old := table
	table = tb
	t.Cleanup(func() { table = old })
}

func TestRunRecoversPanicsAndNamesThePass(t *testing.T) {
	withTable(t, []pass{
		{name: "fine", fn: cse, reason: "r"},
		{name: "boom", fn: func(*ir.Program, *Context) (*ir.Program, error) { panic("index out of range") }, reason: "r"},
	})
	_, _, err := Run(parseIR(t, smallIR), Options{})
	if err == nil || err.Error() != "pass boom panicked: index out of range" {
		t.Fatalf("got %v", err)
	}
}

func TestCheckNamesThePassThatBreaksTheVerifier(t *testing.T) {
	breaker := func(p *ir.Program, _ *Context) (*ir.Program, error) {
		// Leave a dead value behind and a wrong declared shape.
		vals := slices.Clone(p.Values)
		vals = append(vals, &ir.Value{ID: 100, Op: ir.OpExp, Operands: []int{0}, Type: ir.Type{DType: p.Values[0].Type.DType, Shape: []int{9}}})
		return &ir.Program{Values: vals, Outputs: p.Outputs, Consts: p.Consts}, nil
	}
	withTable(t, []pass{{name: "cse", fn: cse, reason: "r"}, {name: "breaker", fn: breaker, reason: "r"}})
	_, _, err := Run(parseIR(t, smallIR), Options{Check: true})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Stage != "pass breaker" || len(ve.Errs) != 2 {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "%100 = exp %0 : f64[9]") {
		t.Fatalf("the message must show the offending value: %v", err)
	}
	// Without Check the broken program goes through.
	if _, _, err := Run(parseIR(t, smallIR), Options{}); err != nil {
		t.Fatalf("without Check: %v", err)
	}
}

func TestRunPrefixAndFirstBadPass(t *testing.T) {
	p := parseIR(t, smallIR)
	q0, rep, err := RunPrefix(p, Options{}, 0)
	if err != nil || len(rep.Passes) != 0 || q0.String() != p.String() {
		t.Fatalf("prefix 0: %v %v", err, rep)
	}
	_, rep, err = RunPrefix(p, Options{}, 3)
	if err != nil || len(rep.Passes) != 3 || rep.Passes[2].Name != table[2].name {
		t.Fatalf("prefix 3: %v %+v", err, rep)
	}
	// A pass that silently changes values: FirstBadPass must name it.
	wrong := func(p *ir.Program, _ *Context) (*ir.Program, error) {
		return rewrite(p, func(r *rewriter, v *ir.Value, ops []int) (int, bool, error) {
			if v.Op != ir.OpExp {
				return -1, false, nil
			}
			id, err := r.b.Add(ir.OpTanh, nil, ops...)
			return id, err == nil, err
		})
	}
	withTable(t, append(slices.Clone(table[:3]), append([]pass{{name: "wrong", fn: wrong, reason: "r"}}, table[3:]...)...))
	name, _, err := FirstBadPass(p, Options{}, func(q *ir.Program) (bool, error) {
		return equivalent(p, q, 9) != nil, nil
	})
	if err != nil || name != "wrong" {
		t.Fatalf("FirstBadPass = %q, %v", name, err)
	}
}
