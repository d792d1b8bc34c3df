package circuit

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// val is c's float64 value, checked to have c's shape.
func val(t *testing.T, c Circuit) []float64 {
	t.Helper()
	shape, data := eval64(t, c, nil)
	if !slices.Equal(shape, c.Shape()) {
		t.Fatalf("value shape %v, node shape %v", shape, c.Shape())
	}
	return data
}

func near(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9*(1+math.Abs(want[i])) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

// A group over 3 samples with probabilities .2 .3 .5.
func testGroup(t *testing.T) (Circuit, []float64) {
	p := []float64{.2, .3, .5}
	return must(NewTag("", "11111111-1111-1111-1111-111111111111", mkArr(t, "p", []int{3}, p...))), p
}

func TestSamplingShapesAndNames(t *testing.T) {
	g, _ := testGroup(t)
	v := mkArr(t, "v", []int{3, 2}, 1, 2, 3, 4, 5, 6)
	x := must(NewDiscreteVar("", v, g))
	if !slices.Equal(x.Shape(), []int{2}) || x.Name() != "v var" {
		t.Errorf("DiscreteVar shape %v name %q, want [2] and \"v var\"", x.Shape(), x.Name())
	}
	y := mkArr(t, "y", []int{4}, 1, 2, 3, 4)
	k := must(NewCumulant("", x, y, x))
	if !slices.Equal(k.Shape(), []int{2, 4, 2}) || k.Name() != "K3(v var, y, v var)" {
		t.Errorf("Cumulant shape %v name %q", k.Shape(), k.Name())
	}
	if k0 := must(NewCumulant("")); len(k0.Shape()) != 0 || k0.Name() != "K0()" {
		t.Errorf("K0 shape %v name %q", k0.Shape(), k0.Name())
	}
	m, s2 := mkArr(t, "m", []int{2}, 1, 2), mkArr(t, "s", []int{2, 2}, 1, 0, 0, 1)
	s := must(NewStoredCumulantVar("", map[int]Circuit{2: s2, 1: m}, "22222222-2222-2222-2222-222222222222"))
	if !slices.Equal(s.Shape(), []int{2}) || s.Name() != "StoredCumulantVar(1: m, 2: s)" || !slices.Equal(s.Orders, []int{1, 2}) {
		t.Errorf("StoredCumulantVar shape %v name %q orders %v", s.Shape(), s.Name(), s.Orders)
	}
	// rust_circuit's construction errors
	for what, err := range map[string]error{
		"2-d probs":       second(NewDiscreteVar("d", v, mkArr(t, "", []int{3, 1}, 1, 1, 1))),
		"no samples axis": second(NewDiscreteVar("d", mkArr(t, "", []int{}, 1), mkArr(t, "", []int{1}, 1))),
		"sample count":    second(NewDiscreteVar("d", v, mkArr(t, "", []int{2}, 1, 1))),
		"no variance":     second(NewStoredCumulantVar("s", map[int]Circuit{1: m}, "")),
		"order 0":         second(NewStoredCumulantVar("s", map[int]Circuit{0: m, 1: m, 2: s2}, "")),
		"wrong shape":     second(NewStoredCumulantVar("s", map[int]Circuit{1: m, 2: m}, "")),
	} {
		if err == nil {
			t.Errorf("%s: no error", what)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestSamplingParsePrintRoundTrip(t *testing.T) {
	src := `'k' Cumulant
  'x' DiscreteVar
    'v' [3,2] Scalar 1.5
    'g' Tag 11111111-1111-1111-1111-111111111111
      'p' [3] Scalar 0.3333333333333333
  'x'
  's' StoredCumulantVar 1, 2|22222222-2222-2222-2222-222222222222
    'm' [2] Scalar 0.5
    'var' [2,2] Scalar 2
`
	cs, err := ParseCircuits(src, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k := cs[0]
	if k.Kind() != KindCumulant || !slices.Equal(k.Shape(), []int{2, 2, 2}) {
		t.Fatalf("parsed %s %v", k.Kind(), k.Shape())
	}
	out := PrintCircuits(cs, PrintOptions{Names: true})
	if !strings.Contains(out, "StoredCumulantVar 1, 2|22222222-2222-2222-2222-222222222222") {
		t.Errorf("StoredCumulantVar's extra not printed as rust_circuit does:\n%s", out)
	}
	back, err := ParseCircuits(out, ParseOptions{})
	if err != nil {
		t.Fatalf("reparse: %v\n%s", err, out)
	}
	if !Equal(back[0], k) {
		t.Errorf("print/parse changed the circuit:\n%s", out)
	}
	for _, bad := range []string{
		"'s' StoredCumulantVar 1, 2\n  'm' [2] Scalar 0\n  'v' [2,2] Scalar 1\n",
		"'s' StoredCumulantVar 1, 2|22222222-2222-2222-2222-222222222222\n  'm' [2] Scalar 0\n",
		"'x' DiscreteVar\n  'v' [3] Scalar 0\n",
		"'k' Cumulant 3\n  'v' [3] Scalar 0\n",
	} {
		if _, err := ParseCircuits(bad, ParseOptions{}); err == nil || !strings.HasPrefix(err.Error(), "line ") && !strings.Contains(err.Error(), ":") {
			t.Errorf("parse %q: error %v", bad, err)
		}
	}
}

func TestDiscreteVarExpectation(t *testing.T) {
	g, p := testGroup(t)
	vals := []float64{1, 2, 3, 4, 5, 6}
	x := must(NewDiscreteVar("x", mkArr(t, "v", []int{3, 2}, vals...), g))
	// alone: the probability-weighted mean of the samples
	near(t, "E[x]", val(t, x), []float64{.2*1 + .3*3 + .5*5, .2*2 + .3*4 + .5*6})
	// a nonlinear function is averaged over samples, not applied to the mean
	sq := must(NewEinsum("", [][]int{{0}, {0}}, []int{0}, x, x))
	near(t, "E[x*x]", val(t, sq), []float64{.2*1 + .3*9 + .5*25, .2*4 + .3*16 + .5*36})
	// two variables of one group are sampled together
	y := must(NewDiscreteVar("y", mkArr(t, "w", []int{3, 2}, 1, 1, 2, 2, 3, 3), g))
	xy := must(NewEinsum("", [][]int{{0}, {0}}, []int{0}, x, y))
	near(t, "E[x*y] same group", val(t, xy), []float64{.2*1 + .3*6 + .5*15, .2*2 + .3*8 + .5*18})
	// distinct groups are independent: E[x*z] = E[x] E[z]
	g2 := must(NewTag("", "33333333-3333-3333-3333-333333333333", mkArr(t, "q", []int{2}, .25, .75)))
	z := must(NewDiscreteVar("z", mkArr(t, "u", []int{2, 2}, 1, 10, 3, 20), g2))
	xz := must(NewEinsum("", [][]int{{0}, {0}}, []int{0}, x, z))
	ex := []float64{.2*1 + .3*3 + .5*5, .2*2 + .3*4 + .5*6}
	ez := []float64{.25*1 + .75*3, .25*10 + .75*20}
	near(t, "E[x*z] independent", val(t, xz), []float64{ex[0] * ez[0], ex[1] * ez[1]})
	_ = p
}

func TestCumulantValues(t *testing.T) {
	g, p := testGroup(t)
	vals := []float64{1, 4, 9}
	x := must(NewDiscreteVar("x", mkArr(t, "v", []int{3}, vals...), g))
	moment := func(k int) float64 {
		s := 0.0
		for i, v := range vals {
			s += p[i] * math.Pow(v, float64(k))
		}
		return s
	}
	m1, m2, m3 := moment(1), moment(2), moment(3)
	near(t, "K1", val(t, must(NewCumulant("", x))), []float64{m1})
	near(t, "K2 = variance", val(t, must(NewCumulant("", x, x))), []float64{m2 - m1*m1})
	near(t, "K3 = third central moment", val(t, must(NewCumulant("", x, x, x))), []float64{m3 - 3*m2*m1 + 2*m1*m1*m1})
	// K2 of a variable and a constant is zero; K0 is 1; K1 of a constant is itself
	c := mkArr(t, "c", []int{2}, 7, 8)
	near(t, "K2(x, c)", val(t, must(NewCumulant("", x, c))), []float64{0, 0})
	near(t, "K0", val(t, must(NewCumulant(""))), []float64{1})
	near(t, "K1(c)", val(t, must(NewCumulant("", c))), []float64{7, 8})
	near(t, "K2(c, c)", val(t, must(NewCumulant("", c, c))), []float64{0, 0, 0, 0})
	// the joint cumulant keeps its children's axis order: K2(y, x) for a
	// [2]-shaped y of the same group is cov(y_i, x)
	y := must(NewDiscreteVar("y", mkArr(t, "w", []int{3, 2}, 1, 0, 2, 0, 5, 1), g))
	ey := []float64{.2*1 + .3*2 + .5*5, .5}
	cov := []float64{.2*1*1 + .3*2*4 + .5*5*9 - ey[0]*m1, .5*9 - ey[1]*m1}
	k := must(NewCumulant("", y, x))
	if !slices.Equal(k.Shape(), []int{2}) {
		t.Fatalf("K2(y, x) shape %v", k.Shape())
	}
	near(t, "K2(y, x)", val(t, k), cov)
	// a cumulant is a constant: outside it, its variables are integrated out
	sum := must(NewAdd("", must(NewCumulant("", x, x)), x))
	near(t, "K2(x,x) + x", val(t, sum), []float64{m2 - m1*m1 + m1})
}

func TestStoredCumulantVarValues(t *testing.T) {
	m, v, k3 := mkArr(t, "m", []int{2}, 1, 2), mkArr(t, "v", []int{2, 2}, 3, 1, 1, 4), mkArr(t, "k3", []int{2, 2, 2}, seq(8, 0)...)
	s := must(NewStoredCumulantVar("s", map[int]Circuit{1: m, 2: v, 3: k3}, ""))
	near(t, "E[s]", val(t, s), []float64{1, 2})
	near(t, "K2(s,s)", val(t, must(NewCumulant("", s, s))), []float64{3, 1, 1, 4})
	near(t, "K3(s,s,s)", val(t, must(NewCumulant("", s, s, s))), seq(8, 0))
	// linear use is the function of the mean
	two := must(NewScalar(2, []int{}, "two"))
	lin := must(NewEinsum("", [][]int{{0}, {}}, []int{0}, s, two))
	near(t, "E[2 s]", val(t, lin), []float64{2, 4})
	for what, c := range map[string]Circuit{
		"K4 not stored": must(NewCumulant("", s, s, s, s)),
		"relu(s)":       must(NewGeneralFunction("", "relu", s)),
		"s*s":           must(NewEinsum("", [][]int{{0}, {0}}, []int{0}, s, s)),
	} {
		if _, err := Evaluate(c, EvalOptions{DType: tensor.Float64}); err == nil {
			t.Errorf("%s: evaluated without error", what)
		} else if !strings.Contains(err.Error(), "StoredCumulantVar") {
			t.Errorf("%s: error does not name the StoredCumulantVar: %v", what, err)
		}
	}
}

func TestSetPartitions(t *testing.T) {
	// Bell numbers
	for n, want := range []int{1, 1, 2, 5, 15, 52} {
		if got := len(setPartitions(n)); got != want {
			t.Errorf("partitions of %d: %d, want %d", n, got, want)
		}
	}
}
