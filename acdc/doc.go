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
//   - Each greedy step evaluates the current circuit and every candidate
//     removal into one receiver through a single circopt.EvaluateMany, so
//     the shared prefix is computed once. Candidates are judged one by one
//     against the current circuit (not re-evaluated after each accepted
//     removal in the same step); the next step's baseline is measured anew.
//   - The component graph lives in github.com/dominikbraun/graph; its
//     StableTopologicalSort is quadratic, fine for the ~100 components of a
//     small model. DOT output is sorted, so it is byte-stable.
package acdc
