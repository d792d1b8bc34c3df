package blas

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/circopt/circopt/blas/simd"
)

// EnvVar is the environment variable that forces a backend.
const EnvVar = "CIRCOPT_BLAS"

// Backend is one BLAS implementation for float32 and float64.
type Backend struct {
	// Name is gonum, simd or openblas.
	Name string
	// Reason says why this backend is in use: "CIRCOPT_BLAS=gonum",
	// "default: CPU has AVX-512F", ...
	Reason string
	// Detail describes the implementation: the kernel ISA and tiles for
	// simd, OpenBLAS's own configuration string for openblas.
	Detail string
	F32    gblas.Float32
	F64    gblas.Float64
}

// String is "name (reason)", for one-line reports.
func (b Backend) String() string {
	if b.Reason == "" {
		return b.Name
	}
	return b.Name + " (" + b.Reason + ")"
}

// Names lists every backend circopt knows, compiled in or not.
var Names = []string{"gonum", "simd", "openblas"}

// constructors holds the backends compiled into this binary; openblas adds
// itself from openblas_on.go when built with -tags openblas.
var constructors = map[string]func() Backend{
	"gonum": gonumBackend,
	"simd":  simdBackend,
}

// Available lists the backends compiled into this binary, in Names order.
func Available() []string {
	var out []string
	for _, n := range Names {
		if constructors[n] != nil {
			out = append(out, n)
		}
	}
	return out
}

func gonumBackend() Backend {
	return Backend{Name: "gonum", Detail: "gonum.org/v1/gonum/blas/gonum (pure Go)", F32: gonum.Implementation{}, F64: gonum.Implementation{}}
}

func simdBackend() Backend {
	impl := simd.New()
	mr32, nr32, mr64, nr64 := impl.Tile()
	return Backend{
		Name:   "simd",
		Detail: fmt.Sprintf("%s kernels, tiles %dx%d float32, %dx%d float64", impl.ISA(), mr32, nr32, mr64, nr64),
		F32:    impl,
		F64:    impl,
	}
}

// ByName returns the named backend with an empty Reason. An unknown name,
// or openblas in a binary built without the tag, is an error.
func ByName(name string) (Backend, error) {
	mk, ok := constructors[name]
	if ok {
		return mk(), nil
	}
	if slices.Contains(Names, name) {
		return Backend{}, fmt.Errorf("BLAS backend %q unavailable: built without -tags %s", name, name)
	}
	choices := strings.Join(Available(), ", ")
	for _, n := range Names {
		if constructors[n] == nil {
			choices += "; " + n + " needs -tags " + n
		}
	}
	return Backend{}, fmt.Errorf("unknown BLAS backend %q (choices: %s)", name, choices)
}

// Default is the backend for this CPU when nothing is forced: simd where
// the CPU has AVX2+FMA (its portable Go kernel is slower than gonum's, so
// not elsewhere), else gonum.
func Default() Backend {
	switch simd.Best() {
	case simd.AVX512:
		b := simdBackend()
		b.Reason = "default: CPU has AVX-512F"
		return b
	case simd.AVX2:
		b := simdBackend()
		b.Reason = "default: CPU has AVX2+FMA"
		return b
	}
	b := gonumBackend()
	b.Reason = "default: CPU lacks AVX2+FMA"
	return b
}

// Select returns the backend CIRCOPT_BLAS names, or Default when it is
// unset or empty. It does not install it: see Use and Setup.
func Select() (Backend, error) {
	return selectFrom(os.Getenv(EnvVar))
}

func selectFrom(v string) (Backend, error) {
	name := strings.ToLower(strings.TrimSpace(v))
	if name == "" {
		return Default(), nil
	}
	b, err := ByName(name)
	if err != nil {
		return Backend{}, fmt.Errorf("%s=%s: %w", EnvVar, v, err)
	}
	b.Reason = EnvVar + "=" + name
	return b, nil
}

var (
	mu      sync.Mutex
	current *Backend
)

// Use installs b as gonum's float32 and float64 BLAS (blas32.Use,
// blas64.Use), so every blas32.Gemm and blas64.Gemm call runs on it.
func Use(b Backend) {
	mu.Lock()
	defer mu.Unlock()
	blas32.Use(b.F32)
	blas64.Use(b.F64)
	current = &b
}

// Current is the backend last installed by Use. Before any Use it is
// gonum, which is what gonum's swap point starts with.
func Current() Backend {
	mu.Lock()
	defer mu.Unlock()
	if current == nil {
		b := gonumBackend()
		b.Reason = "blas.Use not called: gonum's built-in default"
		return b
	}
	return *current
}

// Setup selects the backend (Select) and installs it (Use). On error
// nothing is installed. Programs call it once at start-up.
func Setup() (Backend, error) {
	b, err := Select()
	if err != nil {
		return Backend{}, err
	}
	Use(b)
	return b, nil
}

// ForRun is the backend a library run calls directly, without touching
// gonum's global swap point: the one a program installed with Use (or
// Setup), else the one Select chooses. Only programs (cmd/circopt,
// cmd/remix) install a backend for the whole process.
func ForRun() (Backend, error) {
	mu.Lock()
	installed := current
	mu.Unlock()
	if installed != nil {
		return *installed, nil
	}
	env := os.Getenv(EnvVar)
	selected.Lock()
	defer selected.Unlock()
	if selected.b == nil || selected.env != env {
		b, err := selectFrom(env)
		if err != nil {
			return Backend{}, err
		}
		selected.b, selected.env = &b, env
	}
	return *selected.b, nil
}

// selected caches Select's choice for ForRun, per value of CIRCOPT_BLAS.
var selected struct {
	sync.Mutex
	b   *Backend
	env string
}

// Ensure installs the selected backend (Setup) unless Use has installed
// one already, and returns the backend in use. A runtime calls it before
// its first GEMM so that library users get the default backend without a
// set-up call of their own, while a program that chose one keeps it. A bad
// CIRCOPT_BLAS is an error on every call until some backend is installed.
func Ensure() (Backend, error) {
	mu.Lock()
	installed := current != nil
	mu.Unlock()
	if installed {
		return Current(), nil
	}
	return Setup()
}
