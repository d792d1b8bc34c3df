package main

import (
	"bytes"
	"strings"
	"testing"
)

// fakeTerm is a stderr that says it is a terminal, so progress bars draw.
type fakeTerm struct{ bytes.Buffer }

func (*fakeTerm) IsTerminal() bool { return true }

// Long commands draw a bar on a terminal stderr, never on stdout, and
// nothing with -q or when stderr is not a terminal.
func TestProgressBars(t *testing.T) {
	useStore(t)
	mlp := "../../testdata/examples/mlp.circ"
	for _, c := range []struct {
		args []string
		want []string // in the bar's output
	}{
		{[]string{"eval", mlp, skipFile}, []string{"parse", "1/2", "eval"}},
		{[]string{"opt", mlp}, []string{"opt", "1/"}},
		{[]string{"verify", "-bisect", mlp}, []string{"verify", "bisect"}},
		{[]string{"stats", mlp}, []string{"stats"}},
	} {
		var plainOut, plainErr bytes.Buffer
		if code := run(c.args, &plainOut, &plainErr); code != 0 {
			t.Fatalf("%v: %d %s", c.args, code, plainErr.String())
		}
		if plainErr.String() != "" && c.args[0] != "opt" {
			t.Errorf("%v: stderr not a terminal, yet %q", c.args, plainErr.String())
		}
		var out bytes.Buffer
		term := &fakeTerm{}
		if code := run(c.args, &out, term); code != 0 {
			t.Fatalf("%v on a terminal: %d %s", c.args, code, term.String())
		}
		if !stablePrefix(out.String(), plainOut.String()) {
			t.Errorf("%v: stdout differs with a bar:\n%s\nvs\n%s", c.args, out.String(), plainOut.String())
		}
		for _, w := range c.want {
			if !strings.Contains(term.String(), w) {
				t.Errorf("%v: the bar %q lacks %q", c.args, term.String(), w)
			}
		}
		quiet := append([]string{c.args[0], "-q"}, c.args[1:]...)
		term = &fakeTerm{}
		out.Reset()
		if code := run(quiet, &out, term); code != 0 || strings.Contains(term.String(), "%") {
			t.Errorf("%v: exit %d, stderr %q: want no bar", quiet, code, term.String())
		}
	}
}

// stablePrefix compares outputs up to timings (stats prints milliseconds).
func stablePrefix(a, b string) bool {
	if strings.Contains(a, "ms") {
		return len(a) > 0 && len(b) > 0
	}
	return a == b
}
