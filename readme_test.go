package circopt_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMESnippet keeps the README's library snippet the code that
// Example_library runs: the README's Go block under "## The library" must
// be the example's lines between the README markers.
func TestREADMESnippet(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## The library\n")
	if !ok {
		t.Fatal("README.md has no \"## The library\" section")
	}
	_, block, ok := strings.Cut(section, "```go\n")
	block, _, ok2 := strings.Cut(block, "```\n")
	if !ok || !ok2 {
		t.Fatal("the library section has no ```go block")
	}
	src, err := os.ReadFile("library_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "\t// README begin\n")
	body, _, ok2 = strings.Cut(body, "\t// README end\n")
	if !ok || !ok2 {
		t.Fatal("library_example_test.go lacks the README markers")
	}
	var want strings.Builder
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		want.WriteString(strings.TrimPrefix(l, "\t") + "\n")
	}
	if block != want.String() {
		t.Errorf("README.md's library snippet differs from Example_library's body:\n--- README\n%s--- example\n%s", block, want.String())
	}
}
