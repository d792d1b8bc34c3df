package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/remix"
)

func TestIsDay4b(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"-day", "4b"}, true},
		{[]string{"-format", "json", "--day=4b"}, true},
		{[]string{"-day", "3"}, false},
		{[]string{"-only", "4b"}, false},
		{nil, false},
	} {
		if got := isDay4b(tc.args); got != tc.want {
			t.Errorf("isDay4b(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestDay4bUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-day", "4b", "-n", "0"},
		{"-day", "4b", "-only", "9z"},
		{"-day", "4b", "-format", "xml"},
		{"-day", "4b", "extra"},
	} {
		var out, errb bytes.Buffer
		if st := run(context.Background(), args, &out, &errb); st != 2 {
			t.Errorf("%q: status %d, want 2 (stderr %q)", args, st, errb.String())
		}
		if lines := strings.Count(strings.TrimSpace(errb.String()), "\n"); lines != 0 {
			t.Errorf("%q: want a one-line error, got %q", args, errb.String())
		}
	}
}

// -day 4b runs the chosen experiments on the shipped balancer, prints
// JSON, draws the loss bars and dumps the samples.
func TestDay4bRun(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"-day", "4b", "-dir", filepath.Join("..", "..", "examples", "day4b"), "-n", "16", "-only", "0a,1b",
		"-format", "json", "-plots", dir, "-plot-format", "svg", "-dump-samples", filepath.Join(dir, "samples")}
	if st := run(context.Background(), args, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	var res struct {
		N    int              `json:"n"`
		Rows []remix.ParenRow `json:"rows"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.N != 16 || len(res.Rows) != 2 || res.Rows[0].Name != "0a" || res.Rows[1].Name != "1b" {
		t.Fatalf("got %+v", res)
	}
	// 0a resamples nothing: its scrubbed loss is the model's own
	if r := res.Rows[0]; r.Loss != r.Original || r.LossRecovered != 1 {
		t.Errorf("0a: scrubbed %v, original %v, recovered %v", r.Loss, r.Original, r.LossRecovered)
	}
	for _, f := range []string{"day4b_loss.svg", "samples/0a.npz", "samples/1b.npz"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}
