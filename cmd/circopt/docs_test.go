package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docs/cli.md is the CLI contract: every command has a synopsis line there.
func TestDocsNameEveryCommand(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, n := range commandNames() {
		if !strings.Contains(doc, "\ncircopt "+n+" ") && !strings.Contains(doc, "\ncircopt "+n+"\n") {
			t.Errorf("docs/cli.md has no synopsis line for circopt %s", n)
		}
	}
}
