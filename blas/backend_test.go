package blas

import (
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/circopt/circopt/blas/simd"
)

func TestSelectFrom(t *testing.T) {
	def, err := selectFrom("")
	if err != nil {
		t.Fatal(err)
	}
	wantDefault := "gonum"
	if simd.Accelerated() {
		wantDefault = "simd"
	}
	if def.Name != wantDefault || !strings.HasPrefix(def.Reason, "default: CPU ") {
		t.Errorf("default = %v, want %s with a default: reason", def, wantDefault)
	}
	if simd.Best() == simd.AVX512 && def.Reason != "default: CPU has AVX-512F" {
		t.Errorf("default reason %q on an AVX-512 CPU", def.Reason)
	}
	for _, v := range []string{"gonum", "simd", " SIMD ", "Gonum"} {
		b, err := selectFrom(v)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		name := strings.ToLower(strings.TrimSpace(v))
		if b.Name != name || b.Reason != "CIRCOPT_BLAS="+name || b.F32 == nil || b.F64 == nil {
			t.Errorf("%q: got %+v", v, b)
		}
	}
	_, err = selectFrom("mkl")
	if err == nil || !strings.Contains(err.Error(), `CIRCOPT_BLAS=mkl: unknown BLAS backend "mkl" (choices: gonum, simd`) {
		t.Errorf("mkl: error %v", err)
	}
	_, err = selectFrom("openblas")
	if slices.Contains(Available(), "openblas") {
		if err != nil {
			t.Errorf("openblas compiled in but: %v", err)
		}
	} else if err == nil || !strings.Contains(err.Error(), "built without -tags openblas") {
		t.Errorf("openblas without the tag: error %v", err)
	}
}

func TestSelectReadsEnv(t *testing.T) {
	t.Setenv(EnvVar, "gonum")
	b, err := Select()
	if err != nil || b.Name != "gonum" || b.Reason != "CIRCOPT_BLAS=gonum" {
		t.Fatalf("Select with CIRCOPT_BLAS=gonum: %v, %v", b, err)
	}
	t.Setenv(EnvVar, "nope")
	if _, err := Select(); err == nil {
		t.Fatal("Select with CIRCOPT_BLAS=nope succeeded")
	}
}

func TestUseInstallsInGonumSwapPoint(t *testing.T) {
	prev := Current()
	defer Use(prev)
	for _, name := range Available() {
		b, err := ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		b.Reason = "test"
		Use(b)
		if got := Current(); got.Name != name || got.Reason != "test" {
			t.Errorf("Current after Use(%s) = %v", name, got)
		}
		if blas32.Implementation() != b.F32 || blas64.Implementation() != b.F64 {
			t.Errorf("Use(%s) did not reach blas32/blas64", name)
		}
	}
}

// TestSetupFailureInstallsNothing: a bad CIRCOPT_BLAS leaves the current
// backend in place.
func TestSetupFailureInstallsNothing(t *testing.T) {
	prev := Current()
	defer Use(prev)
	g, _ := ByName("gonum")
	g.Reason = "marker"
	Use(g)
	t.Setenv(EnvVar, "bogus")
	if _, err := Setup(); err == nil {
		t.Fatal("Setup with CIRCOPT_BLAS=bogus succeeded")
	}
	if got := Current(); got.Reason != "marker" {
		t.Errorf("Setup failure replaced the backend: %v", got)
	}
	t.Setenv(EnvVar, "simd")
	b, err := Setup()
	if err != nil || b.Name != "simd" || Current().Name != "simd" {
		t.Errorf("Setup with CIRCOPT_BLAS=simd: %v, %v, current %v", b, err, Current())
	}
}

func TestBackendString(t *testing.T) {
	b := Backend{Name: "simd", Reason: "default: CPU has AVX2+FMA"}
	if got := b.String(); got != "simd (default: CPU has AVX2+FMA)" {
		t.Errorf("String = %q", got)
	}
	if got := (Backend{Name: "gonum"}).String(); got != "gonum" {
		t.Errorf("String = %q", got)
	}
}

// FuzzSelect: any value of CIRCOPT_BLAS gives a backend that is compiled
// in, or an error naming the variable; never a panic.
func FuzzSelect(f *testing.F) {
	for _, s := range []string{"", "gonum", "simd", "openblas", "OpenBLAS", " simd\n", "mkl", "\x00", "gonum,simd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		b, err := selectFrom(v)
		if err != nil {
			if !strings.HasPrefix(err.Error(), EnvVar+"=") {
				t.Errorf("error %q does not name %s", err, EnvVar)
			}
			return
		}
		if !slices.Contains(Available(), b.Name) || b.F32 == nil || b.F64 == nil || b.Reason == "" {
			t.Errorf("%q gave %+v", v, b)
		}
	})
}

// TestDetail: every backend describes itself (shown by `circopt version`).
func TestDetail(t *testing.T) {
	for _, name := range Available() {
		b, err := ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if b.Detail == "" {
			t.Errorf("%s has no Detail", name)
		}
		t.Logf("%s: %s", name, b.Detail)
	}
	if b, _ := ByName("simd"); !strings.HasPrefix(b.Detail, string(simd.Best())+" kernels") {
		t.Errorf("simd Detail %q does not name the ISA %s", b.Detail, simd.Best())
	}
}

func TestEnsure(t *testing.T) {
	mu.Lock()
	saved := current
	current = nil
	mu.Unlock()
	defer func() {
		if saved != nil {
			Use(*saved)
		} else {
			Use(gonumBackend())
			mu.Lock()
			current = nil
			mu.Unlock()
		}
	}()
	t.Setenv(EnvVar, "bogus")
	if _, err := Ensure(); err == nil {
		t.Fatal("Ensure with CIRCOPT_BLAS=bogus and nothing installed succeeded")
	}
	t.Setenv(EnvVar, "gonum")
	b, err := Ensure()
	if err != nil || b.Name != "gonum" || b.Reason != "CIRCOPT_BLAS=gonum" {
		t.Fatalf("Ensure: %v, %v", b, err)
	}
	// Installed now: Ensure keeps it even if the variable changes.
	t.Setenv(EnvVar, "simd")
	if b, err := Ensure(); err != nil || b.Name != "gonum" {
		t.Errorf("second Ensure: %v, %v", b, err)
	}
}
