package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/circopt/circopt/ui"
)

// serveUI runs circopt ui in the background on a free port and returns
// the page's URL and a func that stops it and returns the exit status.
func serveUI(t *testing.T, args ...string) (string, func() (string, string, int)) {
	t.Helper()
	ready := make(chan *ui.Server, 1)
	uiReady = func(s *ui.Server) { ready <- s }
	t.Cleanup(func() { uiReady = func(*ui.Server) {} })
	type result struct {
		out, err string
		code     int
	}
	done := make(chan result, 1)
	go func() {
		out, errs, code := runCLI(t, append([]string{"ui", "-addr", "127.0.0.1:0"}, args...)...)
		done <- result{out, errs, code}
	}()
	select {
	case s := <-ready:
		return s.URL(), func() (string, string, int) {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
			r := <-done
			return r.out, r.err, r.code
		}
	case r := <-done:
		t.Fatalf("circopt ui exited %d: %s%s", r.code, r.out, r.err)
	}
	return "", nil
}

func TestUIServesVariants(t *testing.T) {
	url, stop := serveUI(t, "-random-tensors", "../../testdata/examples/mlp.circ", "../../testdata/examples/two_layer_skip.circ")
	resp, err := http.Get(url + "api/info")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Variants []struct {
			Name  string `json:"name"`
			Nodes int    `json:"nodes"`
		} `json:"variants"`
	}
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Variants) != 2 || info.Variants[0].Nodes != 10 || info.Variants[1].Nodes != 11 {
		t.Fatalf("info = %+v", info)
	}
	resp, err = http.Get(url + "api/slice?v=1&id=0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("slice: %d", resp.StatusCode)
	}
	out, errs, code := stop()
	if code != 0 || !strings.HasPrefix(out, "serving http://127.0.0.1:") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestUIBindsSymbols(t *testing.T) {
	dir := t.TempDir()
	circ := writeFile(t, dir, "sym.circ", "0 'y' Einsum i->i\n  1 'x' [3] Symbol\n")
	x := saveNpy(t, dir, "x.npy", []int{3}, []float64{1, 2, 3})
	url, stop := serveUI(t, "-bind", "x="+x, circ)
	resp, err := http.Get(url + "api/slice?v=0&id=0&sel=x")
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Data []float64 }
	err = json.NewDecoder(resp.Body).Decode(&s)
	resp.Body.Close()
	if err != nil || len(s.Data) != 3 || s.Data[2] != 3 {
		t.Fatalf("slice = %+v, %v", s, err)
	}
	if _, errs, code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

func TestUIErrors(t *testing.T) {
	dir := t.TempDir()
	x := saveNpy(t, dir, "x.npy", []int{3}, []float64{1, 2, 3})
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ui"}, 2, "want at least one FILE.circ"},
		{[]string{"ui", "-dtype", "int64", "../../testdata/examples/mlp.circ"}, 2, "-dtype"},
		{[]string{"ui", "-", "-random-tensors"}, 2, "standard input"},
		{[]string{"ui", "-random-tensors", "-bind", "nope=" + x, "../../testdata/examples/mlp.circ"}, 1, "no free Symbol"},
		{[]string{"ui", "-random-tensors", "-addr", "256.0.0.1:1", "../../testdata/examples/mlp.circ"}, 1, "ui:"},
		{[]string{"ui", dir + "/missing.circ"}, 1, "missing.circ"},
	} {
		_, errs, code := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line with %q", c.args, code, errs, c.code, c.msg)
		}
	}
}
