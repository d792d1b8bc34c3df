package weights_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// A store names each tensor by its content hash; any unique prefix of the
// hash resolves it again, as `Array <hash-prefix>` does in circuit files.
func ExampleStore() {
	dir, _ := os.MkdirTemp("", "store")
	defer os.RemoveAll(dir)
	s, _ := weights.OpenStore(dir)

	x, _ := tensor.FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4})
	hash, _ := s.Add(x)

	y, full, err := s.Resolve(hash[:8])
	fmt.Println(err, full == hash, y.Shape(), y.Float32s())
	// Output: <nil> true [2 2] [1 2 3 4]
}

// StatTensorFile reads only an .npy header, so a caller can budget memory
// for an input before loading it; a limit breach wraps ErrTooLarge.
func ExampleStatTensorFile() {
	dir, _ := os.MkdirTemp("", "stat")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "w.npy")
	x, _ := tensor.FromFloat64([]int{3, 4}, make([]float64, 12))
	weights.SaveNpy(path, x)

	dt, shape, bytes, err := weights.StatTensorFile(path)
	fmt.Println(dt, shape, bytes, err)

	os.Setenv(weights.EnvMaxTensorBytes, "64")
	defer os.Unsetenv(weights.EnvMaxTensorBytes)
	_, _, _, err = weights.StatTensorFile(path)
	fmt.Println(errors.Is(err, weights.ErrTooLarge))
	// Output:
	// float64 [3 4] 96 <nil>
	// true
}
