// Package weights reads and writes the tensors circopt computes with: NumPy
// .npy and .npz files, PyTorch state dicts written by torch.save (zip
// format), safetensors files, the MNIST test set in IDX form, and a
// content-addressed tensor store used by the circuit text format to resolve
// `Array <hash-prefix>`.
//
// Invariants:
//   - Weight files are untrusted input. Every reader returns an error, never
//     a Go panic: sizes declared in headers (array shapes, pickle string and
//     frame lengths, zip entry sizes, IDX dimensions) are checked against the
//     bytes actually present before anything is allocated, and each public
//     entry point recovers from a panic inside a third-party decoder and
//     turns it into an error naming the file.
//   - The pickle reader executes nothing: it builds only an allow-listed set
//     of classes (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
//     torch._utils._rebuild_parameter and the torch.*Storage types); any
//     other global is refused.
//   - Every tensor returned is contiguous (C order), owns its backing slice
//     and has dtype float32, float64 or int64. Narrower integer and boolean
//     element types widen to int64; float16 and bfloat16 widen to float32.
//   - A store tensor is named by tensor.ContentHashHex; a file whose content
//     does not hash to its name is refused, never returned.
//
// Package weights depends only on package tensor.
package weights
