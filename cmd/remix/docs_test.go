package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/remix"
)

// docs/cli.md names every remix flag and experiment.
func TestDocsNameEveryFlagAndExperiment(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, doc, ok := strings.Cut(string(b), "\n## remix\n")
	if !ok {
		t.Fatal("docs/cli.md has no remix section")
	}
	// the flags as remix -h lists them, one "  -name" line each
	status, _, help := runCmd("-h")
	if status != 0 {
		t.Fatalf("-h: status %d", status)
	}
	n := 0
	for _, line := range strings.Split(help, "\n") {
		if !strings.HasPrefix(line, "  -") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "  "), " ")
		name, _, _ = strings.Cut(name, "\t")
		n++
		if !strings.Contains(doc, name+" ") && !strings.Contains(doc, name+"]") && !strings.Contains(doc, name+"`") {
			t.Errorf("docs/cli.md's remix section does not mention %s", name)
		}
	}
	if n < 10 {
		t.Errorf("found %d flags in remix -h:\n%s", n, help)
	}
	for _, e := range remix.ExperimentNames([]uint64{0}) {
		base := strings.TrimSuffix(e, "_0")
		if !strings.Contains(doc, "`"+e+"`") && !strings.Contains(doc, "`"+base+"_S`") {
			t.Errorf("docs/cli.md's remix section does not name experiment %s", e)
		}
	}
}
