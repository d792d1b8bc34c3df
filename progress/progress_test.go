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

// fakeTerm is a writer that claims to be a terminal.
type fakeTerm struct {
	strings.Builder
	term bool
}

func (f *fakeTerm) IsTerminal() bool { return f.term }

func TestAutoDecidesByTerminal(t *testing.T) {
	on := &fakeTerm{term: true}
	r := Auto(on, false)
	r.Start(3, "passes")
	r.Add(2)
	r.Finish()
	if !strings.Contains(on.String(), "passes") || !strings.Contains(on.String(), "2/3") {
		t.Errorf("a terminal got %q, want a bar", on.String())
	}
	for _, c := range []struct {
		w     *fakeTerm
		quiet bool
	}{{&fakeTerm{term: true}, true}, {&fakeTerm{term: false}, false}} {
		if r := Auto(c.w, c.quiet); r != Nop {
			t.Errorf("terminal=%v quiet=%v: %T, want Nop", c.w.term, c.quiet, r)
		}
	}
	var sb strings.Builder
	if r := Auto(&sb, false); r != Nop {
		t.Errorf("a plain writer got %T, want Nop", r)
	}
	if r := Auto(nil, false); r != Nop {
		t.Errorf("nil writer got %T, want Nop", r)
	}
}
