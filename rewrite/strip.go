package rewrite

import "github.com/circopt/circopt/circuit"

// stripNode strips one node whose children are already stripped: a Tag
// becomes its child; an Array or Symbol is kept as it is; any other node is
// rebuilt without a given name, so autonaming derives one from the children.
func stripNode(c circuit.Circuit, kids []circuit.Circuit) (circuit.Circuit, error) {
	switch c.Kind() {
	case circuit.KindTag:
		return kids[0], nil
	case circuit.KindArray, circuit.KindSymbol:
		return c, nil
	}
	return rebuild(c, kids, "")
}

// StripNamesAndTags removes every Tag and every name that was not derived
// automatically, all the way down; Arrays and Symbols keep their names, so
// automatic names are recomputed from them. Two circuits that differ only
// in names and tags strip to the same circuit.
func StripNamesAndTags(c circuit.Circuit) (circuit.Circuit, error) {
	return mapBottomUp(c, stripNode)
}

// StripNamesAndTagsRule strips one node (Apply carries it down the tree).
func StripNamesAndTagsRule(c circuit.Circuit) (circuit.Circuit, bool, error) {
	r, err := stripNode(c, c.Children())
	if err != nil || circuit.Equal(r, c) {
		return nil, false, err
	}
	return r, true, nil
}

// mapBottomUp rebuilds c with f applied to every node after its children,
// once per distinct node, Module spec circuits included (a Module may lose a
// use of an argument symbol, as in rust_circuit; Symbols are never changed,
// so the arg specs still name the spec's symbols).
func mapBottomUp(c circuit.Circuit, f func(c circuit.Circuit, kids []circuit.Circuit) (circuit.Circuit, error)) (circuit.Circuit, error) {
	memo := map[circuit.Hash]circuit.Circuit{}
	var rec func(c circuit.Circuit) (circuit.Circuit, error)
	rec = func(c circuit.Circuit) (circuit.Circuit, error) {
		if r, done := memo[c.Hash()]; done {
			return r, nil
		}
		kids := make([]circuit.Circuit, len(c.Children()))
		for i, ch := range c.Children() {
			k, err := rec(ch)
			if err != nil {
				return nil, err
			}
			kids[i] = k
		}
		r, err := f(c, kids)
		if err != nil {
			return nil, err
		}
		memo[c.Hash()] = r
		return r, nil
	}
	return rec(c)
}
