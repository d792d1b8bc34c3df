// Package weights reads and writes the tensors circopt computes with: NumPy
// .npy and .npz files, PyTorch state dicts written by torch.save (zip
// format), safetensors files, the MNIST test set in IDX form, and a
// content-addressed tensor store used by the circuit text format to resolve
// `Array <hash-prefix>`.
//
// Invariants:
//   - Weight files are untrusted input. Every reader returns a one-line
//     error naming the file, never a Go panic, a hang or an out-of-memory
//     crash: sizes declared in headers (array shapes, the safetensors
//     JSON header, pickle string and frame lengths, zip entry sizes, IDX
//     dimensions) are checked against
//     the bytes actually present and against the Limits before anything is
//     allocated, and each public entry point recovers from a panic inside
//     a third-party decoder and turns it into an error.
//   - Only regular files are read (after following symlinks). A FIFO is
//     opened non-blocking and refused; a device such as /dev/zero and a
//     file larger than MaxFileBytes (say a 100 GB sparse file) are refused
//     before any read.
//   - A compressed member (npz, torch zip, gzipped IDX) is inflated only
//     up to its declared size, and only after that size has passed the
//     Limits; an npz member's npy header is read and checked before its
//     data is inflated. Zip members whose data overlap are refused.
//   - The pickle reader executes nothing: it builds only an allow-listed set
//     of classes (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
//     torch._utils._rebuild_parameter and the torch.*Storage types); any
//     other global is refused. Before gopickle runs, the opcodes are walked
//     and the work bounded: at most 2^22 opcodes, 2^10 marks open at once,
//     2^20 memo writes, 4300-digit INT/LONG lines and 4096-byte LONG4
//     integers; the state dict walk visits at most 2^20 entries, so a
//     memo-shared "billion laughs" structure costs nothing.
//   - Every tensor returned is contiguous (C order), owns its backing slice
//     and has dtype float32, float64 or int64. One exception, for speed:
//     LoadSafetensors reads the file once and its float32 tensors are
//     disjoint windows of that one buffer (capacity capped at each
//     window), shared with nothing else. Narrower integer and boolean
//     element types widen to int64 (a bool byte other than 0 is True, as in
//     numpy); float16 and bfloat16 widen exactly to float32, subnormals
//     included.
//   - An .npy file is written with a header written here (not by npyio),
//     for any rank up to numpy's 64 axes; more axes are refused.
//   - A store tensor is named by tensor.ContentHashHex; a file whose content
//     does not hash to its name is refused, never returned.
//   - A store file appears whole or not at all (written to a temporary name
//     and renamed), so concurrent writers and readers of one store are safe.
//   - DefaultStoreDir ($CIRCOPT_TENSORS, else the user cache's
//     circopt/tensors) is the store a caller uses when none is named.
//
// Limits. Each loader reads Limits from the environment on every call
// (LimitsFromEnv); a value that is not a positive integer is an error:
//
//	CIRCOPT_MAX_TENSOR_BYTES   one tensor in memory, after widening   default 4 GiB
//	CIRCOPT_MAX_FILE_BYTES     a file read, and its tensors in total  default 16 GiB
//	CIRCOPT_MAX_INFLATE_RATIO  compressed member expansion beyond     default 100
//	                           64 MiB (zip bombs)
//
// Input refused for exceeding a limit returns an error wrapping
// ErrTooLarge (test with errors.Is).
//
// Memory estimates. StatTensorFile reports the dtype, shape and in-memory
// bytes of an .npy file from its header alone, with the same checks as
// LoadNpy, so a caller can budget memory for its inputs by their declared
// sizes before reading any of them.
//
// Package weights depends only on package tensor.
package weights
