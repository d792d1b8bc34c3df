// Package circuit is circopt's immutable computation graph, modelled on
// rust_circuit: the node kinds (Array, Scalar, Symbol, Add, Einsum,
// Rearrange, Index, Concat, GeneralFunction, Scatter, Tag, Module, and the
// sampling kinds Cumulant, DiscreteVar, StoredCumulantVar), their
// shape rules, content hashing, autonaming, the text format (Print and
// Parse) and the naive reference evaluator (Evaluate).
//
// Invariants:
//   - A Circuit never changes after construction. Every "modification"
//     builds a new node; children are shared, never copied.
//   - Constructors validate and return an error naming the node; they never
//     panic on user input. The shape is computed once, at construction.
//   - Hash covers the kind, the node's own fields, its children's hashes and
//     its name. Two circuits are equal exactly when their hashes are equal.
//   - An unnamed node whose children all have names is given an automatic
//     name as rust_circuit does ("a + b", "a * b", "x rearrange", "x idx",
//     "relu(x)"), unless autonaming is disabled on it (printed as AD).
//   - Arrays and Symbols are leaves and are never renamed by rewrites.
//   - A shape entry is a size >= 0 or a symbolic size (rust_circuit's "0s",
//     "2*1s", stored negative); only Module binding resolves symbolic sizes,
//     and nothing of a symbolic size is ever allocated.
//   - Sampling nodes have no value of their own: Explicit turns a circuit
//     into the deterministic one of its expectation (rust_circuit's
//     estimate), and Evaluate and the compiler run that.
//
// Evaluation is explicit and rare: Evaluate walks the DAG once, memoized by
// node, and is the reference semantics every optimized path is checked
// against.
//
// The text format's reader, by concern:
//
//	parse.go        ParseCircuits: lines into a tree of idents (indentation, refs)
//	parse_line.go   the line lexer: one line into its fields
//	parse_build.go  nodes as read into circuits, children first
//	parse_index.go  Index and Scatter index text
//	einsumtext.go   rust_circuit's einsum alphabet and "fancy:" form, on tensor's spec grammar
package circuit
