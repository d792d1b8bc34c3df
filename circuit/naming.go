package circuit

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// priority orders operators for parenthesizing automatic names, as
// rust_circuit does: Add (infix 0) binds looser than Einsum (infix 1);
// Concat's "++" is ambiguous and always parenthesized; postfix operators
// (rearrange, idx, scatter, tag) parenthesize infix children.
type priority struct {
	kind  uint8 // 0 not an operator, 1 infix, 2 infix-ambiguous, 3 postfix, 4 function
	level int
}

var (
	prioNone      = priority{}
	prioAdd       = priority{1, 0}
	prioEinsum    = priority{1, 1}
	prioAmbiguous = priority{2, 0}
	prioPostfix   = priority{3, 0}
	prioFunction  = priority{4, 0}
)

func priorityOf(c Circuit) priority {
	switch c.Kind() {
	case KindAdd:
		return prioAdd
	case KindEinsum:
		return prioEinsum
	case KindConcat:
		return prioAmbiguous
	case KindRearrange, KindIndex, KindScatter, KindTag, KindDiscreteVar:
		return prioPostfix
	case KindGeneralFunction, KindModule, KindCumulant:
		return prioFunction
	}
	return prioNone
}

func needParens(parent priority, child Circuit) bool {
	cp := priorityOf(child)
	switch {
	case parent.kind == 0 || parent.kind == 4:
		return false
	case cp.kind == 0 || cp.kind == 4:
		return false
	case parent.kind == 3 && cp.kind == 3:
		return false
	case parent.kind == 3:
		return true
	case cp.kind == 3:
		return false
	case parent.kind == 2:
		return true
	case cp.kind == 2:
		return true
	}
	return parent.level > cp.level
}

const childNameMaxLen = 100

// childName is c's name as it appears in its parent's automatic name. As in
// rust_circuit, parentheses are added first and the result is then shortened
// (so a shortened parenthesized name keeps its "(" but loses its ")").
func childName(parent priority, c Circuit, shorten bool) string {
	n := c.Name()
	if needParens(parent, c) {
		n = "(" + n + ")"
	}
	if shorten && len(n) > childNameMaxLen {
		// Cut at a rune boundary at or before the limit so the name stays
		// valid UTF-8 (rust_circuit would panic on a non-boundary cut).
		cut := childNameMaxLen
		for cut > 0 && !utf8.RuneStart(n[cut]) {
			cut--
		}
		n = n[:cut] + "..."
	}
	return n
}

// autoName derives a name from the children's names, or "" if any child is
// unnamed or the kind has no automatic name.
func autoName(c Circuit) string {
	ch := c.Children()
	if len(ch) == 0 {
		if c.Kind() == KindCumulant {
			return "K0()"
		}
		return ""
	}
	for _, x := range ch {
		if x.Name() == "" {
			return ""
		}
	}
	p := priorityOf(c)
	join := func(sep string) string {
		parts := make([]string, len(ch))
		for i, x := range ch {
			parts[i] = childName(p, x, true)
		}
		return strings.Join(parts, sep)
	}
	switch n := c.(type) {
	case *Add:
		return join(" + ")
	case *Einsum:
		return join(" * ")
	case *Concat:
		return join(" ++ ")
	case *Rearrange:
		return childName(p, ch[0], false) + " rearrange"
	case *Index:
		return childName(p, ch[0], false) + " idx"
	case *Scatter:
		return childName(p, ch[0], false) + " scatter"
	case *Tag:
		return childName(p, ch[0], false) + " tag"
	case *DiscreteVar:
		// rust_circuit leaves the probs and group out of the name
		return childName(p, ch[0], false) + " var"
	case *Cumulant:
		return "K" + strconv.Itoa(len(ch)) + "(" + join(", ") + ")"
	case *StoredCumulantVar:
		parts := make([]string, len(ch))
		for i, x := range ch {
			parts[i] = strconv.Itoa(n.Orders[i]) + ": " + childName(p, x, true)
		}
		return "StoredCumulantVar(" + strings.Join(parts, ", ") + ")"
	case *GeneralFunction:
		return n.Spec + "(" + join(", ") + ")"
	case *Module:
		// rust_circuit: spec(arg, ...), argument names never shortened.
		args := make([]string, 0, len(ch)-1)
		for _, a := range ch[1:] {
			args = append(args, a.Name())
		}
		return n.SpecCircuit.Name() + "(" + strings.Join(args, ", ") + ")"
	}
	return ""
}
