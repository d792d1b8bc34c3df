package progress

import (
	"os"
	"strings"
	"testing"
)

func TestBarShowsCountAndDescription(t *testing.T) {
	var sb strings.Builder
	r := NewBar(&sb)
	r.Start(4, "models")
	r.Add(1)
	r.Add(2)
	out := sb.String()
	for _, want := range []string{"models", "3/4", "75%"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output lacks %q: %q", want, out)
		}
	}
	r.Finish()
	r.Add(1) // after Finish: no bar, no panic
}

// A file that is not a terminal, or quiet, gets no bar.
func TestTerminalQuietWhenNotATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, quiet := range []bool{false, true} {
		if r := Terminal(f, quiet); r != Nop {
			t.Errorf("quiet=%v: %T for a regular file, want Nop", quiet, r)
		}
	}
	r := Terminal(f, false)
	r.Start(2, "x")
	r.Add(2)
	r.Finish()
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Errorf("wrote %d bytes to a non-terminal", st.Size())
	}
}
