package ui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// loadVariant parses a circuit file with random tensors.
func loadVariant(t testing.TB, name, path string) Variant {
	t.Helper()
	cs, err := circuit.ParseFile(path, circuit.ParseOptions{File: path, RandomTensors: true})
	if err != nil {
		t.Fatal(err)
	}
	return Variant{Name: name, Roots: cs}
}

// mlpHandler serves the MLP example, its patched copy and two tensors.
func mlpHandler(t testing.TB) http.Handler {
	t.Helper()
	img, err := tensor.FromFloat64([]int{3, 784}, ramp(3*784))
	if err != nil {
		t.Fatal(err)
	}
	logits, err := tensor.FromFloat64([]int{3, 10}, ramp(30))
	if err != nil {
		t.Fatal(err)
	}
	digits := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	h, err := NewHandler(Options{
		Variants: []Variant{
			loadVariant(t, "base", "../testdata/examples/mlp.circ"),
			loadVariant(t, "patched", "testdata/mlp_patched.circ"),
		},
		Tensors: []Tensor{
			{Name: "images", Value: img, Dims: []Dim{{Name: "example"}, {Name: "pixel", Type: "image"}}},
			{Name: "logits", Value: logits, Dims: []Dim{{Name: "example"}, {Name: "digit", Labels: digits}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func ramp(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}

// get requests path and decodes the JSON answer into out, returning the
// status code.
func get(t testing.TB, h http.Handler, path string, out any) int {
	t.Helper()
	req := httptest.NewRequest("GET", "http://127.0.0.1"+path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("GET %s: %d %q: %v", path, rec.Code, rec.Body.String(), err)
		}
	}
	return rec.Code
}
