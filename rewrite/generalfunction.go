package rewrite

import "github.com/circopt/circopt/circuit"

// InversePairs lists (outer, inner) GeneralFunctions with outer(inner(x)) = x
// for every real x. rust_circuit lists reciprocal∘reciprocal; log∘exp and
// logit∘sigmoid are exact inverses too. exp∘log is not listed: it only
// holds for x > 0.
var InversePairs = [][2]string{
	{"reciprocal", "reciprocal"},
	{"log", "exp"},
	{"logit", "sigmoid"},
}

// GeneralFunctionMergeInverses replaces f(g(x)) by x for an inverse pair.
func GeneralFunctionMergeInverses(c circuit.Circuit) (circuit.Circuit, bool, error) {
	f, isGF := c.(*circuit.GeneralFunction)
	if !isGF || len(f.Children()) != 1 {
		return nil, false, nil
	}
	g, isGF := f.Children()[0].(*circuit.GeneralFunction)
	if !isGF || len(g.Children()) != 1 {
		return nil, false, nil
	}
	for _, p := range InversePairs {
		if p[0] == f.Spec && p[1] == g.Spec {
			return g.Children()[0], true, nil
		}
	}
	return nil, false, nil
}
