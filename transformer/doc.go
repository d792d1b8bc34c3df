// Package transformer brings GPT-2 style transformers in as rust_circuit
// module circuits: it imports a Hugging Face GPT-2 state dict into
// rust_circuit's weight layout, writes it as a model file on the module
// library (package modlib), binds a model file to tokens, lays the bound
// model out for interpretability, and adds the next-token loss.
//
// Invariants:
//   - Every weight lives under its rust_circuit name ('a0.w.q' [heads,
//     head_dim, hidden], 'm0.w.proj_in' [4·hidden, hidden], 'final.ln.w.scale',
//     't.w.tok_embeds', ...); NewModel checks the whole set's shapes against
//     one Config before anything is built.
//   - The forward pass is the module library's; this package never writes
//     one. A Model, its dumped model file and any rust_circuit model file
//     bind through the same path (modlib.BindToInputTokens, then
//     Configure), so the in-memory model and its file bind to one circuit.
//   - Bound circuits carry rust_circuit's configured names: 't.input',
//     'a{l}' and 'a{l}.p_bias', 'm{l}' and 'm{l}.p_bias', 'a{l}.norm',
//     'b{l}' (the residual stream after block l), 'final.norm', 't.logits'
//     and, when split, 'a{l}.h{i}' and 't.input.p{i}'. Configuring never
//     changes a value.
//   - A Model caches its module circuit on first bind (hashing the weights
//     is the expensive part of a bind); bind one Model from one goroutine.
//   - Token ids are constants of the bound circuit: the token embedding
//     't.tok_embeds' is rust_circuit's gen_index (GeneralFunction
//     gen_index_at_-2_c) of 't.w.tok_embeds' by the Array 't.toks' of ids,
//     which compiles to one gather.
package transformer
