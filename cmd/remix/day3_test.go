package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDay3Command(t *testing.T) {
	if testing.Short() {
		t.Skip("runs day 3's six scrubs; skipped with -short")
	}
	plots := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"-day", "3", "-dir", "../../examples/day3", "-n", "64", "-format", "json", "-plots", plots, "-plot-format", "svg"}
	if st := run(context.Background(), args, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	var got day3Out
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.N != 64 || len(got.Rows) != 6 {
		t.Fatalf("n %d, %d rows; want 64 and 6", got.N, len(got.Rows))
	}
	for _, r := range got.Rows {
		if r.Node == "ind" && !(r.Loss > got.Unscrubbed.Mean) {
			t.Errorf("scrubbing the induction heads gives loss %.4f, not above the unscrubbed %.4f", r.Loss, got.Unscrubbed.Mean)
		}
	}
	svgs, _ := filepath.Glob(filepath.Join(plots, "*.svg"))
	if len(svgs) < 3 {
		t.Errorf("plots %v: want the attention heatmaps and the loss bars", svgs)
	}
	for _, f := range svgs {
		if b, err := os.ReadFile(f); err != nil || !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("%s is not an SVG (%v)", f, err)
		}
	}
}

func TestDay3Usage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-day", "3", "-format", "xml"}, "-format"},
		{[]string{"-day", "3", "-n", "0"}, "-n"},
		{[]string{"-day=9"}, `unknown -day "9"`},
		{[]string{"-day", "3", "extra"}, "unexpected argument"},
	} {
		var out, errb bytes.Buffer
		if st := run(context.Background(), tc.args, &out, &errb); st != 2 || !strings.Contains(errb.String(), tc.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: status %d, stderr %q; want 2 and one line with %q", tc.args, st, errb.String(), tc.want)
		}
	}
}

func TestDay3MissingDir(t *testing.T) {
	var out, errb bytes.Buffer
	if st := run(context.Background(), []string{"-day", "3", "-dir", t.TempDir()}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "model.circ") {
		t.Errorf("status %d, stderr %q", st, errb.String())
	}
}
