// Package passes is circopt's optimizer: a table of program-to-program
// passes over ir.Programs and the manager that runs them.
//
// # The table
//
// The unexported table lists the passes in pipeline order, one line each
// with the reason it is there (Go's SSA backend style). A pass's name is its
// identity: the same function may appear twice under two names ("cse" and
// "late cse"). The ordering constraints are data too, "a must run before b"
// with its reason in the same struct; init checks them against the table, so
// a mis-edited table fails every test at once. Callers read the table
// through Passes, Names, Lookup and Constraints, which return copies.
//
// The pipeline (`circopt passes` prints each pass's reason):
//
//	early deadcode  cse  constfold  rearrange  index  pushdown  late cse
//	addfold  einsum  late constfold  late pushdown  late einsum  batchgather
//	late index  addshare  final cse  chunk  deadcode
//
// One file per pass:
//
//	deadcode   deadcode.go   drops values the outputs do not reach; renumbers
//	cse        cse.go        hash-consing over (op, attrs, operands, type); consts by content
//	constfold  constfold.go  all-constant values -> const (if small) or scalar fill (einsums of fills too)
//	rearrange  rearrange.go  permute∘permute, reshape∘reshape, broadcast∘broadcast, identities
//	index      index.go      slice∘slice, select∘slice, slice of concat, identity slices
//	pushdown   pushdown.go   slice/select/gather through elementwise, permute, broadcast, einsum,
//	                         and row-wise ops (softmax, reductions) on rows; equal index ops on
//	                         a value are one use; a select swaps below selects that split a value
//	batchgather batchgather.go f(x[i]) -> f(x)[i] when f is batch-wise and f(x) exists
//	addfold    addfold.go    flatten sums, merge fills, k equal terms -> scale, drop zeros
//	addshare   addshare.go   add(a,b,c,d) -> add(add(a,b,c), d) when add(a,b,c) exists
//	chunk      chunk.go      the row-local part of a big batch (a value of 8 MB or more) in chunks
//	                         of rows, concatenated where read from outside
//	einsum     einsum.go     flatten einsum trees (embeddings too), absorb permute/scale/fill,
//	                         fold a lone user permute into the output, pre-sum private labels,
//	                         plan (exact DP up to 10 operands), lower
//
// # Invariants every pass keeps
//
//   - A pass never modifies its input: it builds a new program (ir.Builder),
//     so the caller's program stays valid and can be compared with the result.
//   - Its output verifies (ir.Verify), including "no dead values": every
//     rewriting pass finishes by pruning what its rewrites left unused, and
//     ids are renumbered densely in program order.
//   - Its output computes the same outputs as its input, up to floating-point
//     reassociation (checked in tests with runtime.Run on random inputs).
//   - Passes are deterministic, and the pipeline is idempotent: running it on
//     its own output prints the same program. (Property-tested on thousands
//     of random programs; it holds because every rewriting pass normalises
//     through the same constructors, sums and commutative operands are
//     ordered by id as cse orders them, push-down sweeps to a fixed point,
//     and einsum fusion rewrites a tree only when that lowers its FLOPs or
//     absorbs something.)
//   - Value equality is up to floating-point reassociation for finite
//     values; rewrites such as x - x = 0 assume finite x, as compilers do
//     under fast-math. Constants are folded in their declared dtype, so a
//     float32 program run in float64 sees float32-rounded folded constants.
//
// # Manager
//
// Run verifies the input, then runs each enabled pass, recovering panics
// (reported as "pass X panicked: ..."), verifying after each pass when
// Options.Check is set (failures name the pass and carry every verifier
// message), timing it, and optionally dumping the program after it. Passes
// add notes (for example the contraction path einsum fusion chose) through
// the Context; notes appear in the Report and, as `# ...` comment lines that
// ir.Parse ignores, in dumps. RunPrefix runs only the first n enabled passes,
// which is what `circopt verify -bisect` uses to find the first pass that
// breaks equivalence.
//
// # Rewriting helpers
//
// Passes rewrite through rewriter (rewrite.go), a variant of ir.Rebuild that
// exposes the old-to-new id map and prunes dead values, and build values
// through the smart constructors in build.go (mkSlice, mkPermute, ...), which
// return already-simplified forms (an identity slice is its operand, a slice
// of a slice is one slice, a select of the size-1 axis a reshape added is
// the reshape's operand, an index op or contraction of consts is a const
// when small). Sharing one set of constructors keeps the passes
// agreeing on normal forms, which is what makes the pipeline idempotent.
package passes
