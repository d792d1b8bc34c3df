// Package acdc is automatic circuit discovery (Conmy et al.'s ACDC, REMIX
// day 5) over a transformer in rust_circuit's layout: GPT-2 style models,
// and the attention-only shortformer models of REMIX (examples/day3), read
// from the model file's `# info:` header (Arch). It starts from the full
// graph of the model's components and greedily removes every edge whose
// patching to a corrupted input's value changes a metric by less than a
// threshold, from the output backwards.
//
// Invariants:
//   - Components are 'embed' (token embeddings, plus the positional ones
//     unless the model is a shortformer), one node per attention head
//     'a{l}.h{i}', one per MLP 'm{l}' (if the model has them), and the
//     receiver 'logits'. A receiver's input is the residual stream rewritten
//     as a sum over its senders' outputs (plus the attention output biases,
//     constants never patched): receiver input = embed + Σ earlier outputs.
//   - A shortformer's positional embeddings enter each head's query and key
//     after its layer norm, as constants: no edge carries them. The one
//     forward pass serves both position types; Arch says which.
//   - A head receives either as one receiver (its q, k and v read one
//     input) or as three, 'a{l}.h{i}.q', '.k' and '.v' (Layout.QKV, as in
//     the ACDC paper; the default for attention-only models), each joined
//     to the head by an internal graph edge that is never patched or
//     reported. A final-layer head's q input is its last position alone.
//   - A removed edge feeds its receiver the sender's output on the corrupt
//     input in the full corrupt run; every other edge is untouched.
//   - The full clean and corrupt runs are evaluated once, as two variants
//     of one plan fed the embeddings. A greedy step (one receiver, or all
//     heads of one layer, which do not read each other) evaluates the
//     current circuit and every candidate removal in one Plan.Run of a plan
//     that computes only the step's receivers and what follows them,
//     batched over variants: edges are switched by a bound mask Symbol
//     'acdc.mask' [variants, edges] (receiver input = Σ corrupt_s +
//     mask·(out_s − corrupt_s)). The senders before the step (unchanged,
//     all their edges still in) enter every receiver as one contraction over
//     a bound stack of their clean − corrupt outputs; the senders the plan
//     computes, as one contraction over their stacked out − corrupt.
//   - A layer's step lays its rows out as the current circuit, then each
//     receiver's candidates (stepRows): a head runs only on row 0 and its own
//     rows, and every other row takes row 0's output (their masks differ
//     from row 0 only in edges into other heads); with split receivers each
//     of its q, k and v inputs is projected on row 0 and that input's rows
//     alone. Rows are spread by a product with a one-hot matrix, never a
//     gather: the optimizer pushes gathers towards the inputs, which for a
//     gather that repeats rows computes the head on every row.
//   - A layer whose heads all run on every row of a plan (those after the
//     step, and every layer of the clean and corrupt runs) runs as one: its
//     heads' inputs stacked on a head axis, one layer norm per input kind,
//     one attention (the equations of a single head, fewer plan values).
//     The unbatched reference and Patterns run head by head.
//   - Plans read tokens and masks only through bound Symbols, so they
//     depend on the model, the token count and the step alone: a
//     Discoverer keeps them across runs; a larger plan serves fewer
//     variants with padding rows.
//   - Only the last position is read: the final layer's heads query it
//     alone, and its MLP and the logits compute it alone.
//   - Candidates are judged one by one against the step's current circuit,
//     not re-evaluated after each accepted removal in the same step; the
//     next step's baseline is measured anew. The batched plans keep exactly
//     the edges of evaluating each variant as its own circuit (tested).
//   - The component graph lives in github.com/dominikbraun/graph; its
//     StableTopologicalSort is quadratic, fine for the ~100 components of a
//     small model. DOT output is sorted, so it is byte-stable.
package acdc
