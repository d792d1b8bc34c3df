// Package ir is circopt's SSA program: the form circuits lower to, passes
// rewrite, and the runtime executes.
//
// A Program is a list of Values in definition-before-use order, a list of
// named outputs (value ids) and a constant table (content hash -> tensor).
// Each Value has an integer id (printed %N), one op, operand ids, attributes,
// a static shape and a dtype.
//
// Every op is described by one row of a declarative table (ops.go): its name,
// arity (exact or variadic with a minimum), attribute schema, shape function,
// whether it is elementwise and/or batch-wise, and a FLOP estimate. The
// Builder, the Verifier, the parser and the runtime all consult that table, so
// an op's meaning is written down once.
//
// The printer is the single source of truth for the text form. A value prints
// as
//
//	%3 = einsum "ab,cb->ac" %1 %2 : f32[10000,10]
//
// with attributes in schema order (strings as Go %q, ints, int lists [1,0],
// floats with strconv 'g' -1), then operands, then the type; each output
// prints as `output "logits" %7`. Dumps, hashes, golden files and DOT labels
// all use it, and Parse reads it back so that print -> parse -> print is the
// identity on bytes.
//
// Invariants of a well-formed program (checked by Verify, which reports every
// violation at once, each with the offending value's printed line):
//   - ids are unique and every operand id is defined earlier in the list;
//   - each value's arity and attributes match its op's schema;
//   - each value's declared shape and dtype equal what the op's shape
//     function computes from its operands and attributes;
//   - every const hash is in the constant table with the declared type;
//   - every output names a defined value and output names are unique;
//   - no value is dead (unused and not an output).
//
// Programs are immutable once built: passes build new programs with a
// Builder (see Rebuild), so a Program may be shared between goroutines and
// the cached use lists (Users) stay valid.
package ir
