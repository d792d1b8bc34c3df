package ui

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// transformer builds a GPT-2-small-sized residual stack: layers blocks of
// single-head attention (d×d projections) and an MLP (d×4d, 4d×d) over the
// Symbol "tokens" [seq, d], with deterministic weights, and returns it as a
// variant with tokens bound.
func transformer(b *testing.B, layers, seq, d int) Variant {
	b.Helper()
	must := func(c circuit.Circuit, err error) circuit.Circuit {
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	k := 0
	arr := func(name string, shape ...int) circuit.Circuit {
		n := 1
		for _, s := range shape {
			n *= s
		}
		data := make([]float32, n)
		for i := range data {
			k++
			data[i] = float32(k%17-8) * 0.002
		}
		t, err := tensor.FromFloat32(shape, data)
		if err != nil {
			b.Fatal(err)
		}
		return must(circuit.NewArray(t, name))
	}
	tokens, err := circuit.NewSymbol([]int{seq, d}, "", "tokens")
	if err != nil {
		b.Fatal(err)
	}
	input := arr("input", seq, d).(*circuit.Array).Value
	var x circuit.Circuit = tokens
	for l := range layers {
		p := func(s string) string { return fmt.Sprintf("l%d.%s", l, s) }
		q := must(circuit.NewEinsumSpec(p("q"), "sd,de->se", x, arr(p("wq"), d, d)))
		kk := must(circuit.NewEinsumSpec(p("k"), "sd,de->se", x, arr(p("wk"), d, d)))
		v := must(circuit.NewEinsumSpec(p("v"), "sd,de->se", x, arr(p("wv"), d, d)))
		scores := must(circuit.NewEinsumSpec(p("scores"), "se,te->st", q, kk))
		att := must(circuit.NewEinsumSpec(p("att"), "st,te->se", scores, v))
		o := must(circuit.NewEinsumSpec(p("attn_out"), "se,ed->sd", att, arr(p("wo"), d, d)))
		x = must(circuit.NewAdd(p("resid_mid"), x, o))
		h := must(circuit.NewEinsumSpec(p("mlp_in"), "sd,dh->sh", x, arr(p("w1"), d, 4*d)))
		r := must(circuit.NewGeneralFunction(p("relu"), "relu", h))
		m := must(circuit.NewEinsumSpec(p("mlp_out"), "sh,hd->sd", r, arr(p("w2"), 4*d, d)))
		x = must(circuit.NewAdd(p("resid"), x, m))
	}
	return Variant{Name: "gpt", Roots: []circuit.Circuit{x}, Bindings: map[string]*tensor.Tensor{"tokens": input}}
}

// BenchmarkClickTransformerOutput is a click on the last residual of a
// 12-layer, d=768 stack: compile the node, run it, send the heatmap.
func BenchmarkClickTransformerOutput(b *testing.B) {
	v := transformer(b, 12, 64, 768)
	for b.Loop() {
		b.StopTimer()
		h, err := NewHandler(Options{Variants: []Variant{v}})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/api/slice?v=0&id=0&sel=y,x", nil))
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkClickAfterCompile is a click on another node once the first
// click compiled the variant: a view of layer 6's MLP output (the last
// layer's residual was clicked first), fetched afresh each time.
func BenchmarkClickAfterCompile(b *testing.B) {
	v := transformer(b, 12, 64, 768)
	h, err := NewHandler(Options{Variants: []Variant{v}})
	if err != nil {
		b.Fatal(err)
	}
	click := func(path string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1"+path, nil))
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
	}
	click("/api/slice?v=0&id=0&sel=y,x")
	x := h.(*handler).variants[0]
	target := x.byName["l6.mlp_out"]
	for b.Loop() {
		x.mu.Lock()
		delete(x.cache, target) // only the per-node cache: the compiled values stay
		x.mu.Unlock()
		click(fmt.Sprintf("/api/slice?v=0&id=%d&sel=y,x", target))
	}
}

// BenchmarkTree10k is the tree answer for a 10,001-node circuit.
func BenchmarkTree10k(b *testing.B) {
	h, err := NewHandler(Options{Variants: []Variant{{Name: "wide", Roots: []circuit.Circuit{wide(b, 100, 99)}}}})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/api/tree?v=0", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
