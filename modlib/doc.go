// Package modlib builds rust_circuit's transformer module library (layer
// norm, attention, MLPs, blocks, per-layer rebound weights, t.logits) so that
// model files written by rust_circuit's dump_model_string load as
// load_transformer_model_string loads them.
//
// Invariants:
//   - Every Symbol keeps rust_circuit's name, uuid and symbolic shape
//     (0s hidden, 1s seq, 2s/3s seq q/k, 4s heads, 5s mlp proj, 7s qk dim,
//     8s v dim, 10s vocab), so a file's `! 'a0.w.q' [4s,7s,0s] Symbol …`
//     binds the very Symbol the library built.
//   - Layer i's weights are rebound to Symbols whose uuids are the 128-bit
//     draws of Python's random.Random(i), in rust_circuit's argument order.
//   - Absent biases and positional inputs are left out of the circuit rather
//     than bound to zeros (rust_circuit zeroes and simplifies them away).
package modlib
