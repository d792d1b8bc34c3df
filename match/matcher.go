package match

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/circopt/circopt/circuit"
)

// Matcher is a predicate on a single node. Used as an IterativeMatcher it
// finds every matching node anywhere below (and including) the root.
type Matcher interface {
	IterativeMatcher
	// Match reports whether the node itself matches.
	Match(c circuit.Circuit) bool
}

// idCounter numbers matcher values so that each constructed matcher has a
// distinct memo key; two predicates with the same label must not share a
// cache entry.
var idCounter atomic.Uint64

func newID(prefix string) string {
	return prefix + strconv.FormatUint(idCounter.Add(1), 36)
}

// maxKeyLen is the longest state key kept as written; longer ones are
// replaced by a digest (see compactKey).
const maxKeyLen = 48

// compactKey bounds a composite state key: a state nests the keys of the
// states it holds, and nested chains would otherwise build keys (and sets
// of them) exponentially long in the nesting. A 128-bit digest keeps
// equality for all practical purposes and costs O(len(s)) once per state.
func compactKey(s string) string {
	if len(s) <= maxKeyLen {
		return s
	}
	h := sha256.Sum256([]byte(s))
	return "#" + string(h[:16])
}

// plainStep is the Step of every Matcher: found if it matches, and the same
// matcher continues into every child.
func plainStep(m Matcher, c circuit.Circuit) (Result, error) {
	return Result{Found: m.Match(c), Next: m}, nil
}

// nameMatcher matches nodes whose name is in a set.
type nameMatcher struct {
	id    string
	names map[string]bool
	str   string
}

// Name matches nodes named by one of names. It prints as "a" for one name
// and {"a", "b"} for several.
func Name(names ...string) Matcher {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	sorted := make([]string, 0, len(set))
	for n := range set {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	q := make([]string, len(sorted))
	for i, n := range sorted {
		q[i] = strconv.Quote(n)
	}
	s := strings.Join(q, ", ")
	if len(q) != 1 {
		s = "{" + s + "}"
	}
	return &nameMatcher{id: newID("n"), names: set, str: s}
}

func (m *nameMatcher) Match(c circuit.Circuit) bool           { return m.names[c.Name()] }
func (m *nameMatcher) Step(c circuit.Circuit) (Result, error) { return plainStep(m, c) }
func (m *nameMatcher) String() string                         { return m.str }
func (m *nameMatcher) key() string                            { return m.id }

// kindMatcher matches nodes of the given kinds.
type kindMatcher struct {
	id    string
	kinds map[circuit.Kind]bool
	str   string
}

// Kind matches nodes of one of kinds. It prints as Einsum or {Einsum, Scalar}
// (kind names sorted).
func Kind(kinds ...circuit.Kind) Matcher {
	set := map[circuit.Kind]bool{}
	for _, k := range kinds {
		set[k] = true
	}
	sorted := make([]circuit.Kind, 0, len(set))
	for k := range set {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].String() < sorted[j].String() })
	q := make([]string, len(sorted))
	for i, k := range sorted {
		q[i] = k.String()
	}
	s := strings.Join(q, ", ")
	if len(q) != 1 {
		s = "{" + s + "}"
	}
	return &kindMatcher{id: newID("k"), kinds: set, str: s}
}

func (m *kindMatcher) Match(c circuit.Circuit) bool           { return m.kinds[c.Kind()] }
func (m *kindMatcher) Step(c circuit.Circuit) (Result, error) { return plainStep(m, c) }
func (m *kindMatcher) String() string                         { return m.str }
func (m *kindMatcher) key() string                            { return m.id }

// regexMatcher matches names against a regular expression.
type regexMatcher struct {
	id      string
	pattern string // as written, before escapeDot
	re      *regexp.Regexp
}

// Regex matches named nodes whose name contains a match of pattern, with
// rust_circuit's semantics (escape_dot): a "." is a literal dot, since names
// are dotted paths, and "\." is the any-character wildcard; everything else
// is Go RE2 syntax (anchor with ^ and $ for whole names). An unnamed node
// never matches. An invalid pattern is an error. It prints as /pattern/
// with "/" escaped as "\/".
func Regex(pattern string) (Matcher, error) {
	re, err := regexp.Compile(escapeDot(pattern))
	if err != nil {
		return nil, fmt.Errorf("match: bad regular expression /%s/: %w", pattern, err)
	}
	return &regexMatcher{id: newID("r"), pattern: pattern, re: re}, nil
}

// escapeDot swaps "." and "\." outside character classes, as rust_circuit's
// Regex(escape_dot=True) does.
func escapeDot(p string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			if p[i+1] == '.' && !inClass {
				b.WriteByte('.')
			} else {
				b.WriteByte(c)
				b.WriteByte(p[i+1])
			}
			i++
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case c == '.' && !inClass:
			b.WriteString(`\.`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (m *regexMatcher) Match(c circuit.Circuit) bool {
	return c.Name() != "" && m.re.MatchString(c.Name())
}
func (m *regexMatcher) Step(c circuit.Circuit) (Result, error) { return plainStep(m, c) }
func (m *regexMatcher) String() string {
	// rust_circuit's repr of Regex(pattern, escape_dot=True)
	return "re-escdot'" + m.pattern + "'"
}
func (m *regexMatcher) key() string { return m.id }

// predMatcher wraps a Go function.
type predMatcher struct {
	id    string
	label string
	f     func(circuit.Circuit) bool
}

// Pred matches nodes for which f returns true; label is how it prints
// (Pred(label)). A nil f matches nothing.
func Pred(label string, f func(circuit.Circuit) bool) Matcher {
	return &predMatcher{id: newID("p"), label: label, f: f}
}

func (m *predMatcher) Match(c circuit.Circuit) bool           { return m.f != nil && m.f(c) }
func (m *predMatcher) Step(c circuit.Circuit) (Result, error) { return plainStep(m, c) }
func (m *predMatcher) String() string                         { return "Pred(" + m.label + ")" }
func (m *predMatcher) key() string                            { return m.id }

// exactMatcher matches circuits by hash.
type exactMatcher struct {
	id     string
	hashes map[circuit.Hash]bool
	str    string
}

// Exact matches nodes equal (by hash) to one of cs. It prints as
// rust_circuit's repr does, 'name' Kind <6 hex digits of the hash> (None
// for an unnamed node), braced when there are several. Nil entries are ignored.
func Exact(cs ...circuit.Circuit) Matcher {
	set := map[circuit.Hash]bool{}
	var parts []string
	for _, c := range cs {
		if c == nil || set[c.Hash()] {
			continue
		}
		set[c.Hash()] = true
		name := "None"
		if c.Name() != "" {
			name = "'" + c.Name() + "'"
		}
		parts = append(parts, name+" "+c.Kind().String()+" "+c.Hash().String()[:6])
	}
	sort.Strings(parts)
	s := strings.Join(parts, ", ")
	if len(parts) != 1 {
		s = "{" + s + "}"
	}
	return &exactMatcher{id: newID("e"), hashes: set, str: s}
}

func (m *exactMatcher) Match(c circuit.Circuit) bool           { return m.hashes[c.Hash()] }
func (m *exactMatcher) Step(c circuit.Circuit) (Result, error) { return plainStep(m, c) }
func (m *exactMatcher) String() string                         { return m.str }
func (m *exactMatcher) key() string                            { return m.id }

// constMatcher is True or False.
type constMatcher bool

var (
	trueMatcher  = constMatcher(true)
	falseMatcher = constMatcher(false)
)

// True matches every node.
func True() Matcher { return trueMatcher }

// False matches no node.
func False() Matcher { return falseMatcher }

func (m constMatcher) Match(circuit.Circuit) bool             { return bool(m) }
func (m constMatcher) Step(c circuit.Circuit) (Result, error) { return plainStep(m, c) }
func (m constMatcher) String() string {
	if m {
		return "Always"
	}
	return "Never"
}
func (m constMatcher) key() string {
	if m {
		return "T"
	}
	return "F"
}

// boolMatcher is Any, All or Not.
type boolMatcher struct {
	id  string
	op  string // "Any", "All" or "Not"
	ms  []Matcher
	str string
}

func newBool(op string, ms []Matcher) *boolMatcher {
	var kept []Matcher
	parts := []string{}
	for _, m := range ms {
		if m == nil {
			continue
		}
		kept = append(kept, m)
		parts = append(parts, m.String())
	}
	s := op + "(" + strings.Join(parts, ", ") + ")"
	if op == "Not" {
		s = "Not " + parts[0]
	}
	return &boolMatcher{id: newID("b"), op: op, ms: kept, str: s}
}

// Any matches nodes matched by at least one of ms (none: matches nothing).
func Any(ms ...Matcher) Matcher { return newBool("Any", ms) }

// All matches nodes matched by every one of ms (none: matches everything).
func All(ms ...Matcher) Matcher { return newBool("All", ms) }

// Not matches nodes that m does not match. A nil m is treated as False.
func Not(m Matcher) Matcher {
	if m == nil {
		m = False()
	}
	return newBool("Not", []Matcher{m})
}

func (m *boolMatcher) Match(c circuit.Circuit) bool {
	switch m.op {
	case "Any":
		for _, x := range m.ms {
			if x.Match(c) {
				return true
			}
		}
		return false
	case "All":
		for _, x := range m.ms {
			if !x.Match(c) {
				return false
			}
		}
		return true
	default: // Not
		return !m.ms[0].Match(c)
	}
}
func (m *boolMatcher) Step(c circuit.Circuit) (Result, error) { return plainStep(m, c) }
func (m *boolMatcher) String() string                         { return m.str }
func (m *boolMatcher) key() string                            { return m.id }
