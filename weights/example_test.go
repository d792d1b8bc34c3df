package weights_test

import (
	"fmt"
	"os"

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
