package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/remix"
)

// -day 4b, in any of the flag package's spellings, reaches day 4b through
// the days registry, as day 3 does.
func TestDay4bRegistered(t *testing.T) {
	if days["4b"] == nil || days["3"] == nil {
		t.Fatalf("days registry: %v", slices.Sorted(maps.Keys(days)))
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-day", "4b"}, "4b"},
		{[]string{"-format", "json", "--day=4b"}, "4b"},
		{[]string{"-day", "3"}, "3"},
		{[]string{"-only", "4b"}, ""},
		{nil, ""},
	} {
		if got := dayArg(tc.args); got != tc.want {
			t.Errorf("dayArg(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
	// -h of day 4b is day 4b's flag set, not day 1's
	var out, errb bytes.Buffer
	if st := run(context.Background(), []string{"-day=4b", "-h"}, &out, &errb); st != 0 || !strings.Contains(errb.String(), "dump-samples") {
		t.Errorf("-day=4b -h: status %d, stderr %q", st, errb.String())
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
