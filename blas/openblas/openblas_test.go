//go:build openblas

package openblas

import (
	"os"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
)

func TestDescribe(t *testing.T) {
	if CoreName() == "" || Config() == "" || Threads() < 1 {
		t.Fatalf("OpenBLAS reports core %q, config %q, %d threads", CoreName(), Config(), Threads())
	}
	d := Describe()
	if !strings.Contains(d, CoreName()) {
		t.Errorf("Describe() = %q lacks the core name", d)
	}
	ct, set := os.LookupEnv("OPENBLAS_CORETYPE")
	if set != strings.Contains(d, "OPENBLAS_CORETYPE="+ct) {
		t.Errorf("Describe() = %q, OPENBLAS_CORETYPE set: %v", d, set)
	}
}

// TestGemm checks one product worked by hand through both precisions:
// [1 2 3; 4 5 6]·[7 8; 9 10; 11 12] = [58 64; 139 154], with beta = 0
// overwriting NaN in C as BLAS requires.
func TestGemm(t *testing.T) {
	var impl Implementation
	nan := float32(0)
	nan = nan / nan
	c := []float32{nan, nan, nan, nan}
	impl.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 3, 1, []float32{1, 2, 3, 4, 5, 6}, 3, []float32{7, 8, 9, 10, 11, 12}, 2, 0, c, 2)
	for i, w := range []float32{58, 64, 139, 154} {
		if c[i] != w {
			t.Fatalf("Sgemm = %v", c)
		}
	}
	d := []float64{1, 1, 1, 1}
	impl.Dgemm(blas.Trans, blas.NoTrans, 2, 2, 3, 2, []float64{1, 4, 2, 5, 3, 6}, 2, []float64{7, 8, 9, 10, 11, 12}, 2, -1, d, 2)
	for i, w := range []float64{115, 127, 277, 307} {
		if d[i] != w {
			t.Fatalf("Dgemm = %v", d)
		}
	}
}
