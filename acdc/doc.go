// Package acdc is automatic circuit discovery (Conmy et al.'s ACDC, REMIX
// day 5) over a GPT-2 style transformer: it starts from the full graph of
// the model's components and greedily removes every edge whose patching to
// a corrupted input's value changes a metric by less than a threshold,
// from the output backwards.
//
// Invariants:
//   - Components are 'embed' (token plus positional embeddings), one node
//     per attention head 'a{l}.h{i}', one per MLP 'm{l}', and the receiver
//     'logits'. A component's input is the residual stream rewritten as a sum
//     over its senders' outputs (plus the attention output biases, which are
//     constants and never patched): receiver input = embed + Σ earlier outputs.
//   - A head's q, k and v read one input: they are treated as one receiver.
//   - A removed edge feeds its receiver the sender's output on the corrupt
//     input in the full corrupt run; every other edge is untouched.
//   - The clean run is compiled once per variant count into one plan whose
//     edges are switched by a bound mask Symbol 'acdc.mask' [variants, edges]
//     (receiver input = Σ corrupt_s + mask·(clean_s − corrupt_s)); the
//     corrupt run is evaluated once and enters as Arrays. Each greedy step
//     (one receiver, or all heads of one layer, which do not read each
//     other) evaluates the current circuit and every candidate removal in
//     one Plan.Run. Candidates are judged one by one against the step's
//     current circuit, not re-evaluated after each accepted removal in the
//     same step; the next step's baseline is measured anew.
//   - The component graph lives in github.com/dominikbraun/graph; its
//     StableTopologicalSort is quadratic, fine for the ~100 components of a
//     small model. DOT output is sorted, so it is byte-stable.
package acdc
