package remix

import (
	"context"
	"testing"

	"github.com/circopt/circopt/scrub"
)

// scrub.RunMany's own tests (scrub/union_test.go) check the batched values
// against each scrub run alone; here only what remix adds.
func TestPrepareScrubsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := PrepareScrubs(ctx, []*scrub.Hypothesis{{File: "h.json"}}, nil, nil, 10, 1); err == nil {
		t.Error("PrepareScrubs cancelled: no error")
	}
	if rs, err := RunScrubs(t.Context(), nil, scrub.RunOptions{}); err != nil || rs != nil {
		t.Errorf("no jobs: %v, %v", rs, err)
	}
}
