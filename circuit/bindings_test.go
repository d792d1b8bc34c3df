package circuit

import (
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

const (
	uuidA = "11111111-1111-4111-8111-111111111111"
	uuidB = "22222222-2222-4222-8222-222222222222"
)

// twoXs is x(uuidA) + 10*x(uuidB): two Symbols sharing the name "x".
func twoXs(t *testing.T, shapeB []int) (Circuit, *Symbol, *Symbol) {
	t.Helper()
	a, err := NewSymbol([]int{2}, uuidA, "x")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSymbol(shapeB, uuidB, "x")
	if err != nil {
		t.Fatal(err)
	}
	ten, _ := NewScalar(10, []int{2}, "ten")
	scaled, err := NewEinsumSpec("scaled", "a,a->a", b, ten)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := NewAdd("sum", a, scaled)
	if err != nil {
		t.Fatal(err)
	}
	return sum, a, b
}

func vec(t *testing.T, v ...float64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromFloat64([]int{len(v)}, v)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestEvaluateBindsByUUID(t *testing.T) {
	c, _, _ := twoXs(t, []int{2})
	got, err := Evaluate(c, EvalOptions{DType: tensor.Float64, Bindings: map[string]*tensor.Tensor{
		uuidA: vec(t, 1, 2), uuidB: vec(t, 3, 4),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Float64Data(); d[0] != 31 || d[1] != 42 {
		t.Fatalf("got %v, want [31 42]: each Symbol its own binding", d)
	}
}

func TestEvaluateRefusesSharedName(t *testing.T) {
	c, _, _ := twoXs(t, []int{2})
	_, err := Evaluate(c, EvalOptions{Bindings: map[string]*tensor.Tensor{"x": vec(t, 1, 2)}})
	if err == nil || !strings.Contains(err.Error(), uuidA) || !strings.Contains(err.Error(), uuidB) {
		t.Fatalf("binding a shared name: got %v, want an error naming both uuids", err)
	}
}

func TestResolveBindings(t *testing.T) {
	a, _ := NewSymbol([]int{2}, uuidA, "x")
	a3, _ := NewSymbol([]int{3}, uuidA, "y")
	b, _ := NewSymbol([]int{2}, uuidB, "z")
	_, err := ResolveBindings([]*Symbol{a, a3}, map[string]*tensor.Tensor{uuidA: vec(t, 1, 2)})
	if err == nil || !strings.Contains(err.Error(), "shared by") {
		t.Fatalf("uuid shared by two shapes: got %v", err)
	}
	_, err = ResolveBindings([]*Symbol{a}, map[string]*tensor.Tensor{uuidA: vec(t, 1, 2), "x": vec(t, 1, 2)})
	if err == nil || !strings.Contains(err.Error(), "bound twice") {
		t.Fatalf("name and uuid to different values: got %v", err)
	}
	_, err = ResolveBindings([]*Symbol{a}, map[string]*tensor.Tensor{"x": vec(t, 1, 2, 3)})
	if err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("wrong shape: got %v", err)
	}
	r, err := ResolveBindings([]*Symbol{a, b}, map[string]*tensor.Tensor{"x": vec(t, 1, 2), "nope": vec(t, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Unbound) != 1 || r.Unbound[0] != b || len(r.Unused) != 1 || r.Unused[0] != "nope" || r.Values[a.Hash()] == nil {
		t.Fatalf("got unbound %v unused %v values %v", r.Unbound, r.Unused, r.Values)
	}
}
