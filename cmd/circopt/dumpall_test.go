package main

import (
	"slices"
	"strings"
	"testing"
)

// -dump-after all prints the passes that changed the program and names the
// rest on one line; together they are the pipeline, in order.
func TestDumpAfterAllSkipsUnchanged(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		src     string
		changed []string
	}{
		{"0 'a' Add\n  1 'x' [2] Scalar 1\n  1\n", []string{"constfold"}},
		{skipCirc, []string{"constfold"}},
		{"0 'y' Add\n  1 Einsum a->a\n    2 'x' [2] Symbol " + uuidA + "\n  3 Einsum a->a\n    2\n", nil},
	} {
		f := writeFile(t, dir, "c.circ", c.src)
		out := must(t, "opt", "-dump-after", "all", f)
		var dumped, unchanged []string
		nUnchanged := 0
		for _, line := range strings.Split(out, "\n") {
			if name, ok := strings.CutPrefix(line, "# after "); ok {
				dumped = append(dumped, name)
			}
			if list, ok := strings.CutPrefix(line, "# unchanged: "); ok {
				unchanged = strings.Split(list, ", ")
				nUnchanged++
			}
		}
		if nUnchanged != 1 {
			t.Fatalf("%d unchanged lines:\n%s", nUnchanged, out)
		}
		if c.changed != nil && !slices.Equal(dumped, c.changed) {
			t.Errorf("dumped %v, want %v", dumped, c.changed)
		}
		all := enabledPasses(nil)
		var merged []string
		for _, p := range all {
			switch {
			case slices.Contains(dumped, p) && !slices.Contains(unchanged, p):
				merged = append(merged, p)
			case slices.Contains(unchanged, p) && !slices.Contains(dumped, p):
				merged = append(merged, p)
			}
		}
		if !slices.Equal(merged, all) || len(dumped)+len(unchanged) != len(all) {
			t.Errorf("dumped %v and unchanged %v do not partition %v", dumped, unchanged, all)
		}
	}
	// Named passes print whether or not they changed anything.
	f := writeFile(t, dir, "d.circ", "0 'a' Add\n  1 'x' [2] Scalar 1\n  1\n")
	if out := must(t, "opt", "-dump-after", "cse,constfold", f); strings.Count(out, "# after ") != 2 || strings.Contains(out, "# unchanged") {
		t.Errorf("-dump-after cse,constfold:\n%s", out)
	}
}
