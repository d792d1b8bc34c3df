// Package match finds and replaces nodes of a circuit: rust_circuit's
// Matcher, IterativeMatcher, Getter, Updater and Expander, in Go.
//
// A Matcher is a predicate on one node: by name, by kind, by regular
// expression on the name, by exact circuit (hash), by an arbitrary Go
// predicate, and Any/All/Not of those. Every matcher prints as
// rust_circuit's repr of the same matcher ("a", {"a", "b"}, {Einsum, Scalar},
// re-escdot'^a0\.', Not "x", Always, ["a" -> Restrict{depth_range: 1:2,
// matcher: "x"}], Children("a", [0,1])), on one line.
//
// An IterativeMatcher is the language of paths. It is evaluated while
// walking down from a root: at each node its Step says whether the node is
// found and which (possibly new) iterative matcher continues into each child,
// or that the walk stops there. A Matcher is the iterative matcher that finds
// matching nodes anywhere. Restrict (depth windows, Term, TermIfMatches),
// Chain and ChainStrict (matches of one matcher inside the matches of
// another), Children (continue into chosen children of a match) and IterAny
// build the rest; ParseMatcher reads the CLI's MATCHER text form
// ('skip' > 'x', 'first' >> 'x').
//
// Get, GetAll (several roots, one memo), GetUnique, GetPaths, GetAllPaths
// and AnyFound query a circuit; Update
// (post-order) and Expand (pre-order, may add batch dimensions) rewrite it.
//
// Invariants:
//   - Matchers are immutable values; a Step never changes its receiver.
//   - Every matcher state has a key (private) that identifies its future
//     behaviour. Walks memoize on (node hash, state key), so each distinct
//     (node, state) pair is evaluated once: a DAG whose tree expansion has
//     2^40 paths costs time proportional to its number of nodes times the
//     number of distinct states reaching them, never to its number of paths
//     (GetAllPaths, which returns paths, is the documented exception).
//   - States stay small: a chain link over a union of states is the union
//     of the link over each member, and long state keys are digested, so
//     nested paths ('a' >> ('b' >> ...)) reach polynomially many states.
//     Past MaxWalkStates (node, state) pairs any walk stops with an error.
//   - Update and Expand are path-aware: a node is replaced only where it is
//     reached in a found state. A node shared between a matching path and a
//     non-matching one is replaced under the first and kept under the second
//     (path patching); ancestors are rebuilt with WithChildren.
//   - Nothing here panics on user input: bad regular expressions, bad
//     MATCHER text, out-of-range child indices and failing transforms are
//     errors naming the matcher or the node.
package match
