package rewrite

import (
	"fmt"
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

// decorate names some nodes and wraps some in Tags, bottom-up.
func (g *gen) decorate(c circuit.Circuit) circuit.Circuit {
	r, err := mapBottomUp(c, func(c circuit.Circuit, kids []circuit.Circuit) (circuit.Circuit, error) {
		n, err := c.WithChildren(kids)
		if err != nil {
			return nil, err
		}
		if n.Kind() != circuit.KindArray && n.Kind() != circuit.KindSymbol && g.bool("rename") {
			n = n.Rename(fmt.Sprintf("n%d", g.intn(0, 99, "name")))
		}
		if g.intn(0, 3, "tag") == 0 {
			return circuit.NewTag("", "", n)
		}
		return n, nil
	})
	if err != nil {
		g.t.Fatalf("%v", err)
	}
	return r
}

func TestStripNamesAndTagsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(0, 2, 3)
		plain := g.circuit(s, 2)
		c := g.decorate(plain)
		r := must(StripNamesAndTags(c))
		sameValue(rt, c, r)
		circuit.Walk([]circuit.Circuit{r}, func(n circuit.Circuit) {
			if n.Kind() == circuit.KindTag {
				rt.Fatalf("tag left in %s", show(r))
			}
			if n.Kind() != circuit.KindArray && n.Name() != "" && !isAutoName(n) {
				rt.Fatalf("given name %q left", n.Name())
			}
		})
		// names and tags are all that differ: both strip to one circuit
		if p := must(StripNamesAndTags(plain)); !circuit.Equal(p, r) {
			rt.Fatalf("stripped circuits differ:\n%s\n%s", show(p), show(r))
		}
		// the rule applied everywhere does the same
		ra, _, err := Apply(c, []string{"strip_names_and_tags"}, nil)
		if err != nil {
			rt.Fatalf("%v", err)
		}
		if !circuit.Equal(ra, r) {
			rt.Fatalf("rule and function differ:\n%s\n%s", show(ra), show(r))
		}
	})
}

func TestStripKeepsArrayNames(t *testing.T) {
	x := rnd(t, "x", 1, 2)
	tag := must(circuit.NewTag("t", "", x))
	e := must(circuit.NewGeneralFunction("my relu", "relu", tag))
	r := must(StripNamesAndTags(e))
	if r.Name() != "relu(x)" || r.Children()[0].Name() != "x" {
		t.Fatalf("got %s named %q", show(r), r.Name())
	}
}
