package remix

import (
	"context"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// countingReporter records what a run reports.
type countingReporter struct{ starts, total, done, finishes int }

func (c *countingReporter) Start(total int, _ string) { c.starts++; c.total += total }
func (c *countingReporter) Add(n int)                 { c.done += n }
func (c *countingReporter) Finish()                   { c.finishes++ }

func TestRunDirAndFiguresReportProgress(t *testing.T) {
	images, err := tensor.Zeros(tensor.Float32, []int{3, Pixels})
	if err != nil {
		t.Fatal(err)
	}
	labels := []int{0, 1, 2}
	var pr countingReporter
	opts := Options{Only: []string{"baseline"}, Progress: &pr}
	if _, err := RunDir(context.Background(), "", images, labels, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := FigureData(context.Background(), "", images, labels, opts); err != nil {
		t.Fatal(err)
	}
	n := len(ModelFiles)
	if pr.starts != 2 || pr.total != 2*n || pr.done != 2*n || pr.finishes != 2 {
		t.Errorf("reported %+v, want 2 stages of %d models, each finished", pr, n)
	}
}
