// Package transformer builds GPT-2 style transformers as circuits: it
// imports a Hugging Face GPT-2 state dict into rust_circuit's weight layout,
// binds a model to token ids, and adds the next-token loss.
//
// Invariants:
//   - Every weight lives under its rust_circuit name ('a0.w.q' [heads,
//     head_dim, hidden], 'm0.w.proj_in' [4·hidden, hidden], 'final.ln.w.scale',
//     't.w.tok_embeds', ...); Weights checks the whole set's shapes against
//     one Config before anything is built.
//   - Build is the only place the forward pass is written; the printed
//     model (Module 't.bind_w') and the bound call ('t.call') both come from
//     it, so switching to a module library later changes one file.
//   - Bound circuits carry the stable names 't.input', 'a{l}', 'm{l}',
//     'b{l}' (the residual stream after layer l), 'final.ln', 't.logits' and,
//     when heads are split, 'a{l}.h{i}'. Splitting heads or positions never
//     changes a value.
//   - A Model caches its weights as Arrays on first bind (hashing them is
//     the expensive part of a bind); bind one Model from one goroutine.
//   - Token ids are constants of the bound circuit: the token embedding is
//     an Index of 't.w.tok_embeds' by the ids (one per batch row), which is
//     rust_circuit's gen_index specialised to a known index.
package transformer
