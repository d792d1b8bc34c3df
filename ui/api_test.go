package ui

import (
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
)

type sliceAnswer struct {
	Source string     `json:"source"`
	Shape  []int      `json:"shape"`
	Sel    []string   `json:"sel"`
	FA     axisJSON   `json:"f"`
	YA     axisJSON   `json:"y"`
	XA     axisJSON   `json:"x"`
	Data   []*float64 `json:"data"`
	Min    float64    `json:"min"`
	Max    float64    `json:"max"`
	Error  string     `json:"error"`
}

type axisJSON struct {
	Dim    int      `json:"dim"`
	Size   int      `json:"size"`
	Step   int      `json:"step"`
	Labels []string `json:"labels"`
}

func TestInfoAndTree(t *testing.T) {
	h := mlpHandler(t)
	var info struct {
		Variants []struct {
			Name  string
			Nodes int
		}
		Tensors []struct{ Name string }
	}
	if code := get(t, h, "/api/info", &info); code != 200 {
		t.Fatalf("info: %d", code)
	}
	if len(info.Variants) != 2 || info.Variants[0].Nodes != 10 || len(info.Tensors) != 2 {
		t.Fatalf("info = %+v", info)
	}
	var tree struct {
		Roots []int
		Nodes []node
	}
	get(t, h, "/api/tree?v=0", &tree)
	if len(tree.Nodes) != 10 || tree.Nodes[0].Name != "logits" || len(tree.Nodes[0].Children) != 2 {
		t.Fatalf("tree = %+v", tree)
	}
}

func TestSharedNodeMarked(t *testing.T) {
	h, err := NewHandler(Options{Variants: []Variant{loadVariant(t, "skip", "../testdata/examples/two_layer_skip.circ")}})
	if err != nil {
		t.Fatal(err)
	}
	var tree struct{ Nodes []node }
	get(t, h, "/api/tree?v=0", &tree)
	shared := 0
	for _, n := range tree.Nodes {
		if n.Parents > 1 {
			shared++
			if n.Name != "x" {
				t.Errorf("node %q marked shared", n.Name)
			}
		}
	}
	if shared != 1 {
		t.Fatalf("%d shared nodes, want 1 (x)", shared)
	}
}

// The value the page shows is the compiled evaluation of the node.
func TestSliceIsCompiledValue(t *testing.T) {
	v := loadVariant(t, "base", "../testdata/examples/mlp.circ")
	h, err := NewHandler(Options{Variants: []Variant{v}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := circopt.Evaluate(v.Roots[0].Children()[0].Children()[0], nil, circopt.Options{}) // relu(l1)
	if err != nil {
		t.Fatal(err)
	}
	var s sliceAnswer
	if code := get(t, h, "/api/slice?v=0&id=2&sel=x", &s); code != 200 {
		t.Fatalf("slice: %d %s", code, s.Error)
	}
	w := want.Float64s()
	if len(s.Data) != len(w) {
		t.Fatalf("got %d values, want %d", len(s.Data), len(w))
	}
	for i := range w {
		if math.Abs(*s.Data[i]-w[i]) > 1e-5 {
			t.Errorf("value %d = %v, want %v", i, *s.Data[i], w[i])
		}
	}
}

func TestDiffAcrossVariants(t *testing.T) {
	h := mlpHandler(t)
	var a, b, d sliceAnswer
	get(t, h, "/api/slice?v=0&id=3&sel=x", &a) // l1 = w1 x + 1
	get(t, h, "/api/slice?v=1&id=3&sel=x", &b) // l1 = w1 x + 3
	if code := get(t, h, "/api/slice?v=1&id=3&vs=0&sel=x", &d); code != 200 {
		t.Fatalf("diff: %d %s", code, d.Error)
	}
	for i := range d.Data {
		if got := *d.Data[i]; math.Abs(got-2) > 1e-5 || math.Abs(*b.Data[i]-*a.Data[i]-got) > 1e-5 {
			t.Errorf("diff %d = %v (a %v, b %v), want 2", i, got, *a.Data[i], *b.Data[i])
		}
	}
}

func TestMatchFindsPaths(t *testing.T) {
	h := mlpHandler(t)
	var m matchResult
	if code := get(t, h, "/api/match?v=0&m="+urlEscape("'l1' > Einsum"), &m); code != 200 {
		t.Fatalf("match: %d", code)
	}
	if len(m.Found) != 1 || m.Found[0] != 4 || len(m.Paths) != 1 || len(m.Paths[0]) != 5 {
		t.Fatalf("match = %+v, want node 4 along 0,1,2,3,4", m)
	}
	var e struct{ Error string }
	if code := get(t, h, "/api/match?v=0&m="+urlEscape("'l1' >"), &e); code != 400 || !strings.Contains(e.Error, "matcher") {
		t.Fatalf("bad matcher: %d %q", code, e.Error)
	}
}

func TestTensorViews(t *testing.T) {
	h := mlpHandler(t)
	var s sliceAnswer
	// Images as a grid: example faceted, pixel as 28×28.
	if code := get(t, h, "/api/slice?tensor=images&sel=f,img", &s); code != 200 {
		t.Fatalf("images: %d %s", code, s.Error)
	}
	if s.FA.Size != 3 || s.YA.Size != 28 || s.XA.Size != 28 || len(s.Data) != 3*784 {
		t.Fatalf("image grid axes f=%+v y=%+v x=%+v, %d values", s.FA, s.YA, s.XA, len(s.Data))
	}
	if *s.Data[784+28*2+5] != 784+28*2+5 {
		t.Fatalf("pixel (1,2,5) = %v", *s.Data[784+28*2+5])
	}
	// Mean over examples, digits on x with their labels.
	get(t, h, "/api/slice?tensor=logits&sel=mean,x", &s)
	if len(s.Data) != 10 || *s.Data[3] != 13 || s.XA.Labels[3] != "3" {
		t.Fatalf("mean logits = %v labels %v", s.Data, s.XA.Labels)
	}
	for _, c := range []struct {
		sel  string
		want float64
	}{{"max,4", 24}, {"min,4", 4}, {"sum,4", 42}, {"norm,4", math.Sqrt(16 + 196 + 576)}, {"-1,-1", 29}} {
		get(t, h, "/api/slice?tensor=logits&sel="+c.sel, &s)
		if len(s.Data) != 1 || math.Abs(*s.Data[0]-c.want) > 1e-5*math.Abs(c.want) {
			t.Errorf("sel %s = %v, want %v", c.sel, s.Data, c.want)
		}
	}
}

func TestHugeTensorIsSampled(t *testing.T) {
	big := make([]float64, 1000*1000)
	for i := range big {
		big[i] = float64(i)
	}
	s, err := view(big, []int{1000, 1000}, InferDims([]int{1000, 1000}), []string{"y", "x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Data) > MaxCells || s.X.Step < 2 || s.Y.Step < 2 {
		t.Fatalf("%d values sent (steps %d, %d), cap %d", len(s.Data), s.Y.Step, s.X.Step, MaxCells)
	}
	// Sampled positions are source positions step apart.
	if s.Data[1] != float64(s.X.Step) || s.Data[s.X.Size] != float64(s.Y.Step*1000) {
		t.Fatalf("sampled values %v %v", s.Data[1], s.Data[s.X.Size])
	}
}

func TestBadRequests(t *testing.T) {
	h := mlpHandler(t)
	for _, path := range []string{
		"/api/tree", "/api/tree?v=2", "/api/tree?v=-1", "/api/tree?v=x",
		"/api/node?v=0&id=10", "/api/eval?v=0",
		"/api/slice?v=0&id=0&sel=x,y", "/api/slice?v=0&id=6&sel=x,x", "/api/slice?v=0&id=6&sel=y,0",
		"/api/slice?v=0&id=6&sel=9,x", "/api/slice?v=0&id=6&sel=img,0", "/api/slice?v=0&id=6&sel=mean,max",
		"/api/slice?tensor=nope", "/api/slice?v=0&id=0&vs=5",
		"/api/slice?tensor=images&sel=img,x",
	} {
		var e struct{ Error string }
		if code := get(t, h, path, &e); code != 400 || e.Error == "" || strings.Contains(e.Error, "\n") {
			t.Errorf("GET %s: %d %q, want 400 with a one-line message", path, code, e.Error)
		}
	}
}

// No request path reaches the disk: only embedded assets are served.
func TestOnlyEmbeddedAssets(t *testing.T) {
	h := mlpHandler(t)
	for _, path := range []string{"/", "/app.js", "/style.css", "/vendor/echarts.min.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1"+path, nil))
		if rec.Code != 200 {
			t.Errorf("GET %s: %d", path, rec.Code)
		}
	}
	for _, path := range []string{"/../go.mod", "/..%2fgo.mod", "/api.go", "/testdata/mlp_patched.circ", "/%2e%2e/ui/server.go", "/nope"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "http://127.0.0.1/", nil)
		req.URL.RawPath, req.URL.Path = path, strings.ReplaceAll(path, "%2f", "/")
		h.ServeHTTP(rec, req)
		if rec.Code == 200 && (strings.Contains(rec.Body.String(), "module github.com") || strings.Contains(rec.Body.String(), "package ui")) {
			t.Errorf("GET %s served a file from disk", path)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "http://localhost/api/info", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
	// A rebinding domain name is refused.
	req := httptest.NewRequest("GET", "/api/info", nil)
	req.Host = "evil.example:6789"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("Host evil.example: %d", rec.Code)
	}
}

func TestEvalUnboundSymbol(t *testing.T) {
	x, err := circuit.NewSymbol([]int{3}, "", "input")
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(Options{Variants: []Variant{{Name: "sym", Roots: []circuit.Circuit{x}}}})
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error string }
	if code := get(t, h, "/api/eval?v=0&id=0", &e); code != 400 || !strings.Contains(e.Error, "input") {
		t.Fatalf("unbound: %d %q", code, e.Error)
	}
}

func TestServeDefaultsToLoopback(t *testing.T) {
	s, err := Serve(Options{Addr: "127.0.0.1:0", Variants: []Variant{loadVariant(t, "base", "../testdata/examples/mlp.circ")}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.URL() + "api/info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(DefaultAddr, "127.0.0.1:") {
		t.Fatalf("DefaultAddr %s is not loopback", DefaultAddr)
	}
}

func urlEscape(s string) string { return url.QueryEscape(s) }

func TestDefaultSelection(t *testing.T) {
	for _, c := range []struct {
		shape []int
		dims  []Dim
		want  string
	}{
		{[]int{5}, nil, "x"},
		{[]int{2, 3, 4}, nil, "0,y,x"},
		{[]int{2, 784}, nil, "f,img"},
		{[]int{3, 7}, []Dim{{Name: "layer"}, {Name: "pos", Type: "seq"}}, "f,x"},
	} {
		dims := c.dims
		if dims == nil {
			dims = InferDims(c.shape)
		}
		sel, err := parseSel("", c.shape, dims)
		if err != nil || strings.Join(sel, ",") != c.want {
			t.Errorf("shape %v: default %v (%v), want %s", c.shape, sel, err, c.want)
		}
	}
}
