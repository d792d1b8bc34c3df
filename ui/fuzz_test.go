package ui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPI sends hostile paths and queries: every answer is JSON (or an
// embedded asset) with a status below 500, and nothing panics.
func FuzzAPI(f *testing.F) {
	for _, s := range []string{
		"/api/info", "/api/tree?v=0", "/api/node?v=1&id=3", "/api/match?v=0&m='l1'>>Einsum",
		"/api/eval?v=0&id=2", "/api/slice?v=0&id=6&sel=y,x", "/api/slice?v=1&id=3&vs=0&sel=mean",
		"/api/slice?tensor=images&sel=f,img", "/api/slice?tensor=logits&sel=-3,norm",
		"/api/slice?tensor=logits&sel=x,,", "/api/slice?v=0&id=99999999999999999999",
		"/api/match?v=0&m=re:(", "/../../etc/passwd", "/api/slice?tensor=images&sel=f,x",
	} {
		f.Add(s)
	}
	h := mlpHandler(f)
	f.Fuzz(func(t *testing.T, target string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			return
		}
		req, err := http.NewRequest("GET", "http://127.0.0.1"+target, nil)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body.String())
		}
		// (a path that is not clean is redirected to the clean one)
		if strings.HasPrefix(req.URL.Path, "/api/") && (rec.Code < 300 || rec.Code >= 400) {
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("GET %s: invalid JSON %q", target, rec.Body.String())
			}
			if rec.Code != 200 {
				var e struct{ Error string }
				if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" || strings.Contains(e.Error, "\n") {
					t.Fatalf("GET %s: %d without a one-line error: %q", target, rec.Code, rec.Body.String())
				}
			}
		}
	})
}

// Slices of every selection of a small tensor keep to the cap and to
// the source values.
func FuzzView(f *testing.F) {
	f.Add(uint8(3), uint8(4), uint8(5), "y,x,0")
	f.Add(uint8(1), uint8(0), uint8(2), "mean,x,f")
	f.Add(uint8(2), uint8(2), uint8(2), "max,min,x")
	f.Fuzz(func(t *testing.T, a, b, c uint8, sel string) {
		shape := []int{int(a % 9), int(b % 9), int(c % 9)}
		n := shape[0] * shape[1] * shape[2]
		data := ramp(n)
		dims := InferDims(shape)
		s, err := parseSel(sel, shape, dims)
		if err != nil {
			return
		}
		v, err := view(data, shape, dims, s)
		if err != nil {
			return
		}
		if len(v.Data) != v.F.Size*v.Y.Size*v.X.Size || len(v.Data) > MaxCells {
			t.Fatalf("sel %q shape %v: %d values for axes %d×%d×%d", sel, shape, len(v.Data), v.F.Size, v.Y.Size, v.X.Size)
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	})
}
