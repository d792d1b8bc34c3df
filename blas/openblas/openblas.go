//go:build openblas

package openblas

/*
#cgo LDFLAGS: -lopenblas
char *openblas_get_config(void);
char *openblas_get_corename(void);
int openblas_get_num_threads(void);
*/
import "C"

import (
	"fmt"
	"os"

	"gonum.org/v1/netlib/blas/netlib"
)

// Implementation is netlib's cblas binding; linking this package supplies
// the OpenBLAS library (-lopenblas) that netlib leaves to the builder.
type Implementation struct {
	netlib.Implementation
}

// CoreName is the CPU core type whose kernels OpenBLAS runs ("Haswell",
// "SkylakeX", "Zen", ...).
func CoreName() string { return C.GoString(C.openblas_get_corename()) }

// Config is OpenBLAS's build configuration string.
func Config() string { return C.GoString(C.openblas_get_config()) }

// Threads is the number of threads OpenBLAS uses.
func Threads() int { return int(C.openblas_get_num_threads()) }

// Describe is a one-line account of OpenBLAS's configuration, saying when
// OPENBLAS_CORETYPE overrode its CPU detection.
func Describe() string {
	s := fmt.Sprintf("%s, core %s, %d threads", Config(), CoreName(), Threads())
	if ct, ok := os.LookupEnv("OPENBLAS_CORETYPE"); ok {
		s += fmt.Sprintf(" (OPENBLAS_CORETYPE=%s overrides CPU detection)", ct)
	}
	return s
}
