package remix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/circopt/circopt/tensor"
)

// ModelFile is one of the notebook's models: its table name and the file
// holding its state dict.
type ModelFile struct {
	Name string
	File string
}

// ModelFiles are the notebook's two models, A and B.
var ModelFiles = []ModelFile{{"A", "model_a.pickle"}, {"B", "model_b.pickle"}}

// CheckModelDir reports, as one error naming the directory, whether dir is
// a readable directory holding every file of ModelFiles. The empty dir
// names the shipped models and is always fine.
func CheckModelDir(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("models directory %s does not exist", dir)
		}
		return fmt.Errorf("models directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("models directory %s is not a directory", dir)
	}
	var missing []string
	for _, m := range ModelFiles {
		if _, err := os.Stat(filepath.Join(dir, m.File)); err != nil {
			missing = append(missing, m.File)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("models directory %s lacks %v (want %s and %s)", dir, missing, ModelFiles[0].File, ModelFiles[1].File)
	}
	return nil
}

// RunDir runs the experiments for every model of ModelFiles found in dir
// (the shipped models when dir is "") on
// images [n, 784] and labels, and returns the table ordered as the
// notebook's show_results(): by experiment, then by model. When ctx is done
// it stops (between models or during one) and returns an error wrapping
// ctx.Err().
func RunDir(ctx context.Context, dir string, images *tensor.Tensor, labels []int, opts Options) ([]Row, error) {
	if err := CheckModelDir(dir); err != nil {
		return nil, err
	}
	if images == nil || images.Rank() != 2 || images.Shape()[1] != Pixels {
		return nil, fmt.Errorf("remix: images must have shape [n, %d]", Pixels)
	}
	var perModel [][]Row
	pr := opts.reporter()
	pr.Start(len(ModelFiles), "experiments (models)")
	defer pr.Finish()
	for _, m := range ModelFiles {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("remix: %w", err)
		}
		model, err := LoadModelFrom(dir, m, images.Shape()[0])
		if err != nil {
			return nil, err
		}
		rows, err := RunModel(ctx, m.Name, model, images, labels, opts)
		if err != nil {
			return nil, err
		}
		perModel = append(perModel, rows)
		pr.Add(1)
	}
	var out []Row
	for i := range perModel[0] {
		for _, rows := range perModel {
			out = append(out, rows[i])
		}
	}
	return out, nil
}
