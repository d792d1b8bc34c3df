package ui

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

//go:embed web
var webFS embed.FS

// DefaultAddr is where Serve listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:6789"

// MaxNodeText caps the node text /api/node returns, in bytes.
const MaxNodeText = 16 << 10

// Options say what the page shows.
type Options struct {
	// Addr is host:port to listen on (DefaultAddr when empty; port 0 picks one).
	Addr string
	// DType of circuit evaluation (float32 when zero).
	DType    tensor.DType
	Tensors  []Tensor
	Variants []Variant
}

// handler serves the page and the JSON API for fixed tensors and variants.
type handler struct {
	dtype    tensor.DType
	tensors  []shownTensor
	byName   map[string]int
	variants []*variant
	mux      *http.ServeMux
}

type shownTensor struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	Dims  []Dim  `json:"dims"`
	data  []float64
}

// NewHandler checks opts and returns the page and its JSON API as an
// http.Handler (Serve listens with it; tests use it with httptest).
func NewHandler(opts Options) (http.Handler, error) {
	h := &handler{dtype: opts.DType, byName: map[string]int{}, mux: http.NewServeMux()}
	if h.dtype == 0 {
		h.dtype = tensor.Float32
	}
	if !h.dtype.IsFloat() {
		return nil, fmt.Errorf("ui: dtype %s is not a float type", h.dtype)
	}
	for _, t := range opts.Tensors {
		if t.Value == nil {
			return nil, fmt.Errorf("ui: tensor %q has no value", t.Name)
		}
		if _, dup := h.byName[t.Name]; dup || t.Name == "" {
			return nil, fmt.Errorf("ui: tensor name %q empty or repeated", t.Name)
		}
		shape := nonNil(t.Value.Shape())
		dims := t.Dims
		if dims == nil {
			dims = InferDims(shape)
		}
		if err := checkDims(t.Name, shape, dims); err != nil {
			return nil, fmt.Errorf("ui: %w", err)
		}
		h.byName[t.Name] = len(h.tensors)
		h.tensors = append(h.tensors, shownTensor{Name: t.Name, Shape: shape, Dims: dims, data: t.Value.Float64s()})
	}
	for i, v := range opts.Variants {
		if len(v.Roots) == 0 {
			return nil, fmt.Errorf("ui: variant %d (%q) has no circuits", i, v.Name)
		}
		h.variants = append(h.variants, index(v))
	}
	static, err := fs.Sub(webFS, "web")
	if err != nil {
		return nil, err
	}
	files := http.FileServerFS(static)
	h.mux.Handle("GET /", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fs.ValidPath(strings.TrimPrefix(r.URL.Path, "/")) && r.URL.Path != "/" {
			writeErr(w, http.StatusNotFound, "no such page")
			return
		}
		files.ServeHTTP(w, r)
	}))
	h.mux.HandleFunc("GET /api/info", h.api(h.info))
	h.mux.HandleFunc("GET /api/tree", h.api(h.tree))
	h.mux.HandleFunc("GET /api/node", h.api(h.node))
	h.mux.HandleFunc("GET /api/match", h.api(h.match))
	h.mux.HandleFunc("GET /api/eval", h.api(h.eval))
	h.mux.HandleFunc("GET /api/slice", h.api(h.slice))
	h.mux.HandleFunc("GET /api/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "no such API endpoint "+r.URL.Path)
	})
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusMethodNotAllowed, "only GET is served")
	})
	return h, nil
}

// ServeHTTP refuses Host names other than IP literals and localhost, so a
// web page on another site cannot reach the server by DNS rebinding.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	if host != "localhost" && net.ParseIP(strings.Trim(host, "[]")) == nil {
		writeErr(w, http.StatusForbidden, "host "+strconv.Quote(r.Host)+" refused: use an IP address or localhost")
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
	h.mux.ServeHTTP(w, r)
}

// badRequest is a client error: the answer is 400 with its message.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func bad(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

// api wraps an endpoint: its value is the JSON answer, its error a 400
// (bad request) or 500 with a one-line message.
func (h *handler) api(f func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res, err := f(r)
		if err != nil {
			code := http.StatusInternalServerError
			var br badRequest
			if errors.As(err, &br) {
				code = http.StatusBadRequest
			}
			writeErr(w, code, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err := json.NewEncoder(w).Encode(res); err != nil {
			// The header is out; the client sees a truncated body.
			return
		}
	}
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	msg = strings.ReplaceAll(msg, "\n", "; ")
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

type variantInfo struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Roots []int  `json:"roots"`
	Nodes int    `json:"nodes"`
}

func (h *handler) info(r *http.Request) (any, error) {
	vs := make([]variantInfo, len(h.variants))
	for i, v := range h.variants {
		vs[i] = variantInfo{i, v.Name, v.roots, len(v.nodes)}
	}
	ts := make([]shownTensor, len(h.tensors))
	copy(ts, h.tensors)
	return map[string]any{"variants": vs, "tensors": ts, "maxCells": MaxCells, "dtype": h.dtype.String()}, nil
}

// intParam reads a required integer query parameter in [0, n).
func intParam(r *http.Request, key string, n int, what string) (int, error) {
	s := r.URL.Query().Get(key)
	if s == "" {
		return 0, bad("missing parameter %s", key)
	}
	k, err := strconv.Atoi(s)
	if err != nil {
		return 0, bad("parameter %s=%q is not an integer", key, s)
	}
	if k < 0 || k >= n {
		return 0, bad("parameter %s=%d: no such %s (there are %d)", key, k, what, n)
	}
	return k, nil
}

func (h *handler) variantParam(r *http.Request, key string) (*variant, int, error) {
	i, err := intParam(r, key, len(h.variants), "variant")
	if err != nil {
		return nil, 0, err
	}
	return h.variants[i], i, nil
}

// nodeParam reads v and id.
func (h *handler) nodeParam(r *http.Request) (*variant, int, error) {
	v, _, err := h.variantParam(r, "v")
	if err != nil {
		return nil, 0, err
	}
	id, err := intParam(r, "id", len(v.nodes), "node")
	return v, id, err
}

func (h *handler) tree(r *http.Request) (any, error) {
	v, i, err := h.variantParam(r, "v")
	if err != nil {
		return nil, err
	}
	return map[string]any{"variant": i, "name": v.Name, "roots": v.roots, "nodes": v.nodes}, nil
}

func (h *handler) node(r *http.Request) (any, error) {
	v, id, err := h.nodeParam(r)
	if err != nil {
		return nil, err
	}
	c := v.circs[id]
	text := circuit.PrintCircuits([]circuit.Circuit{c}, circuit.PrintOptions{HashPrefix: 12, AllShapes: true})
	truncated := false
	if len(text) > MaxNodeText {
		cut := strings.LastIndexByte(text[:MaxNodeText], '\n')
		text, truncated = text[:cut+1], true
	}
	return map[string]any{"node": v.nodes[id], "dims": nodeDims(c), "text": text, "truncated": truncated}, nil
}

func (h *handler) match(r *http.Request) (any, error) {
	v, _, err := h.variantParam(r, "v")
	if err != nil {
		return nil, err
	}
	m, err := match.ParseMatcher(r.URL.Query().Get("m"))
	if err != nil {
		return nil, bad("matcher: %v", err)
	}
	res, err := v.find(m)
	if err != nil {
		return nil, bad("matcher: %v", err)
	}
	return res, nil
}

// evalInfo is the JSON answer of /api/eval.
type evalInfo struct {
	Node    node    `json:"node"`
	Dims    []Dim   `json:"dims"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Mean    float64 `json:"mean"`
	NonFin  int     `json:"nonfinite"`
	Seconds float64 `json:"seconds"`
}

func (h *handler) eval(r *http.Request) (any, error) {
	v, id, err := h.nodeParam(r)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	data, err := v.eval(id, h.dtype)
	if err != nil {
		return nil, bad("%v", err)
	}
	info := evalInfo{Node: v.nodes[id], Dims: nodeDims(v.circs[id]), Seconds: time.Since(start).Seconds()}
	info.Min, info.Max, info.Mean, info.NonFin = stats(data)
	return info, nil
}

// source resolves the tensor a slice request names: tensor=NAME, or v and
// id (a node, evaluated), with vs=J subtracting the node of the same name
// in variant J.
func (h *handler) source(r *http.Request) (label string, data []float64, shape []int, dims []Dim, err error) {
	q := r.URL.Query()
	if q.Has("tensor") {
		name := q.Get("tensor")
		i, ok := h.byName[name]
		if !ok {
			return "", nil, nil, nil, bad("no tensor named %q", name)
		}
		t := h.tensors[i]
		return "tensor " + name, t.data, t.Shape, t.Dims, nil
	}
	v, id, err := h.nodeParam(r)
	if err != nil {
		return "", nil, nil, nil, err
	}
	c := v.circs[id]
	label = fmt.Sprintf("%s: node %d %q", v.Name, id, c.Name())
	if data, err = v.eval(id, h.dtype); err != nil {
		return "", nil, nil, nil, bad("%v", err)
	}
	shape, dims = v.nodes[id].Shape, nodeDims(c)
	if !q.Has("vs") {
		return label, data, shape, dims, nil
	}
	w, _, err := h.variantParam(r, "vs")
	if err != nil {
		return "", nil, nil, nil, err
	}
	if c.Name() == "" {
		return "", nil, nil, nil, bad("node %d has no name to find in variant %q", id, w.Name)
	}
	wid, ok := w.byName[c.Name()]
	if !ok {
		return "", nil, nil, nil, bad("variant %q has no node named %q", w.Name, c.Name())
	}
	if !slices.Equal(w.nodes[wid].Shape, shape) {
		return "", nil, nil, nil, bad("node %q has shape %v in %q but %v in %q", c.Name(), shape, v.Name, w.nodes[wid].Shape, w.Name)
	}
	other, err := w.eval(wid, h.dtype)
	if err != nil {
		return "", nil, nil, nil, bad("%v", err)
	}
	diff := make([]float64, len(data))
	for i := range diff {
		diff[i] = data[i] - other[i]
	}
	return fmt.Sprintf("%s − %s: %q", v.Name, w.Name, c.Name()), diff, shape, dims, nil
}

func (h *handler) slice(r *http.Request) (any, error) {
	label, data, shape, dims, err := h.source(r)
	if err != nil {
		return nil, err
	}
	sel, err := parseSel(r.URL.Query().Get("sel"), shape, dims)
	if err != nil {
		return nil, bad("%v", err)
	}
	s, err := view(data, shape, dims, sel)
	if err != nil {
		return nil, bad("%v", err)
	}
	s.Source = label
	return s, nil
}

// Server is a running UI server.
type Server struct {
	srv *http.Server
	ln  net.Listener
	err chan error
}

// Serve listens on opts.Addr (DefaultAddr when empty) and serves the page
// in the background until Close.
func Serve(opts Options) (*Server, error) {
	h, err := NewHandler(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	s := &Server{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, ln: ln, err: make(chan error, 1)}
	go func() { s.err <- s.srv.Serve(ln) }()
	return s, nil
}

// Show serves named tensors on addr (DefaultAddr when empty).
func Show(addr string, ts ...Tensor) (*Server, error) {
	return Serve(Options{Addr: addr, Tensors: ts})
}

// ShowCircuits serves variants of a circuit on addr (DefaultAddr when empty).
func ShowCircuits(addr string, vs ...Variant) (*Server, error) {
	return Serve(Options{Addr: addr, Variants: vs})
}

// URL is the page's address.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Wait blocks until the server stops and returns why (nil after Close).
func (s *Server) Wait() error {
	err := <-s.err
	s.err <- err
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// WaitInterrupt blocks until the process gets an interrupt (then closes
// the server) or the server stops, and returns why (nil for those two).
func (s *Server) WaitInterrupt() error {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	defer signal.Stop(stop)
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case <-stop:
		return s.Close()
	case err := <-done:
		return err
	}
}

// Close stops the server, waiting up to 5 s for requests in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
