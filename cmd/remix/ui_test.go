package main

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/ui"
	"github.com/circopt/circopt/weights"
)

func mnistOrSkip(t *testing.T) (*tensor.Tensor, []int) {
	t.Helper()
	needModels(t)
	dir, err := weights.MNISTDir()
	if err != nil {
		t.Skip("MNIST not present: " + err.Error())
	}
	images, labels, err := weights.LoadMNISTTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	return images, labels
}

func TestDayOneUIShowsMisclassified(t *testing.T) {
	images, labels := mnistOrSkip(t)
	opts, err := dayOneUI(context.Background(), modelDir, images, labels, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range opts.Tensors {
		names = append(names, x.Name)
	}
	if got := strings.Join(names, ","); got != "misclassified,logits A,first.weight A,last.weight A,logits B,first.weight B,last.weight B" {
		t.Fatalf("tensors %s", got)
	}
	shown, logitsA := opts.Tensors[0], opts.Tensors[1]
	k := shown.Value.Shape()[0]
	if k == 0 || k > maxMisclassified || len(opts.Variants) != 2 {
		t.Fatalf("%d images, %d variants", k, len(opts.Variants))
	}
	// Each shown image is one that A or B gets wrong: its label says so,
	// and A's logits agree with the label's prediction for A.
	la := logitsA.Value.Float64s()
	for i, l := range shown.Dims[0].Labels {
		f := strings.Fields(l) // "#idx y=Y A:P B:Q"
		y, a, b := f[1][2:], f[2][2:], f[3][2:]
		if y == a && y == b {
			t.Fatalf("example %q is classified right by both", l)
		}
		if p := strconv.Itoa(argmax(la[i*10 : (i+1)*10])); p != a {
			t.Fatalf("example %q: A's logits say %s", l, p)
		}
		idx, _ := strconv.Atoi(f[0][1:])
		if labels[idx] != mustAtoi(t, y) {
			t.Fatalf("example %q: label %d", l, labels[idx])
		}
	}
	// Model A's circuit, evaluated by the page over the shown images, gives A's logits.
	h, err := ui.NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/api/slice?v=0&id=0&sel=y,x", nil))
	var s struct{ Data []float64 }
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	for i, v := range s.Data {
		if math.Abs(v-la[i]) > 1e-4*(1+math.Abs(la[i])) {
			t.Fatalf("logit %d: page %v, remix %v", i, v, la[i])
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUIFlag(t *testing.T) {
	if status, _, stderr := runCmd("-models", "d", "-circuit", "-ui", "127.0.0.1:0"); status != 2 || !strings.Contains(stderr, "-ui") {
		t.Fatalf("-circuit -ui: status %d, %q", status, stderr)
	}
	mnistOrSkip(t)
	ready := make(chan *ui.Server, 1)
	uiReady = func(s *ui.Server) { ready <- s }
	defer func() { uiReady = func(*ui.Server) {} }()
	type result struct {
		status         int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		st, o, e := runCmd("-models", modelDir, "-only", "zero_first", "-ui", "127.0.0.1:0")
		done <- result{st, o, e}
	}()
	var srv *ui.Server
	select {
	case srv = <-ready:
	case r := <-done:
		t.Fatalf("remix -ui exited %d: %s", r.status, r.stderr)
	}
	resp, err := http.Get(srv.URL() + "api/slice?tensor=" + "last.weight+B" + "&sel=f,img")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("slice: %d", resp.StatusCode)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.status != 0 || !strings.Contains(r.stdout, "zero_first") || !strings.Contains(r.stdout, "serving http://127.0.0.1:") {
		t.Fatalf("status %d stdout %q stderr %q", r.status, r.stdout, r.stderr)
	}
}
