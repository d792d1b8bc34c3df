package weights

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"

	"github.com/circopt/circopt/tensor"
)

// maxPickleBytes bounds data.pkl; a state dict's pickle holds only names
// and tensor metadata, so even very large models stay far below this.
const maxPickleBytes = 1 << 26

// LoadTorch reads a PyTorch state dict written by torch.save in the zip
// format (PyTorch >= 1.6): <archive>/data.pkl plus one <archive>/data/<key>
// file per storage. Keys are the state-dict names; a nested dict of
// tensors gives dotted names ("model.layer.weight"); non-tensor entries
// (an epoch counter, say) are ignored.
func LoadTorch(path string) (map[string]*tensor.Tensor, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := ReadTorch(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ReadTorch is LoadTorch for a zip archive of size bytes read through r.
func ReadTorch(r io.ReaderAt, size int64) (out map[string]*tensor.Tensor, err error) {
	defer recoverAsError("torch", &err)
	l, err := limits()
	if err != nil {
		return nil, err
	}
	if err := l.checkFileBytes("torch archive", size); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("torch: not a zip-format torch.save file (legacy pre-1.6 files are not supported): %w", err)
	}
	if err := checkZipLayout(zr.File); err != nil {
		return nil, fmt.Errorf("torch: %w", err)
	}
	files := make(map[string]*zip.File, len(zr.File))
	var pkl *zip.File
	for _, f := range zr.File {
		files[f.Name] = f
		switch path.Base(f.Name) {
		case "constants.pkl":
			return nil, fmt.Errorf("torch: %s: TorchScript archives are not supported", f.Name)
		case "data.pkl":
			if pkl != nil {
				return nil, fmt.Errorf("torch: two data.pkl entries (%s, %s)", pkl.Name, f.Name)
			}
			pkl = f
		}
	}
	if pkl == nil {
		return nil, fmt.Errorf("torch: no data.pkl in archive")
	}
	// Members sit next to data.pkl: <dir>/byteorder, <dir>/data/<key>.
	dir := strings.TrimSuffix(pkl.Name, "data.pkl")
	if bo, ok := files[dir+"byteorder"]; ok {
		b, err := readZipEntry(bo, size, l)
		if err != nil {
			return nil, fmt.Errorf("torch: %w", err)
		}
		if s := strings.TrimSpace(string(b)); s != "little" {
			return nil, fmt.Errorf("torch: byte order %q is not supported", s)
		}
	}
	if pkl.UncompressedSize64 > maxPickleBytes {
		return nil, fmt.Errorf("torch: %s is %d bytes, more than the %d allowed: %w", pkl.Name, pkl.UncompressedSize64, maxPickleBytes, ErrTooLarge)
	}
	pdata, err := readZipEntry(pkl, size, l)
	if err != nil {
		return nil, fmt.Errorf("torch: %w", err)
	}
	root, err := unpickleStateDict(pdata)
	if err != nil {
		return nil, fmt.Errorf("torch: %s: %w", pkl.Name, err)
	}
	leaves := map[string]*torchTensor{}
	visits := maxStateDictEntries
	if err := collectTensors(root, "", 0, &visits, leaves); err != nil {
		return nil, fmt.Errorf("torch: %s: %w", pkl.Name, err)
	}
	names := make([]string, 0, len(leaves))
	for k := range leaves {
		names = append(names, k)
	}
	sort.Strings(names) // deterministic error reporting
	storages := map[string]any{}
	// Zero strides let a tiny storage describe a huge tensor; bound the
	// total output so a few hostile bytes cannot exhaust memory. Genuine
	// state dicts stay far below this (views and tied weights at most
	// repeat a storage a few times).
	budget := 4*size + 1<<20
	var total int64 // bytes of storages and tensors held
	out = make(map[string]*tensor.Tensor, len(leaves))
	for _, name := range names {
		tt := leaves[name]
		st, ok := storages[tt.storage.key]
		if !ok {
			f, found := files[dir+"data/"+tt.storage.key]
			if !found {
				return nil, fmt.Errorf("torch: tensor %s: storage %sdata/%s missing from archive", name, dir, tt.storage.key)
			}
			total += int64(tt.storage.numel * tt.storage.class.kind.dtype().Size())
			if err := l.checkFileBytes("torch: storages in total", total); err != nil {
				return nil, err
			}
			st, err = readStorage(f, size, tt.storage, l)
			if err != nil {
				return nil, fmt.Errorf("torch: tensor %s: %w", name, err)
			}
			storages[tt.storage.key] = st
		}
		count, err := numElements(tt.size)
		if err != nil {
			return nil, fmt.Errorf("torch: tensor %s: %w", name, err)
		}
		if budget -= int64(count); budget < 0 {
			return nil, fmt.Errorf("torch: tensor %s: tensors total more elements than a %d-byte archive can plausibly hold: %w", name, size, ErrTooLarge)
		}
		esize := tt.storage.class.kind.dtype().Size()
		if err := l.checkTensorBytes("torch: tensor "+name, count, esize); err != nil {
			return nil, err
		}
		total += int64(count * esize)
		if err := l.checkFileBytes("torch: tensors in total", total); err != nil {
			return nil, err
		}
		t, err := tt.materialize(st)
		if err != nil {
			return nil, fmt.Errorf("torch: tensor %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// torchStorageClass stands for one of the torch.*Storage globals.
type torchStorageClass struct {
	name string
	kind elemKind
}

// torchStorageClasses is the allow-list of storage types and their
// element kinds.
var torchStorageClasses = map[string]elemKind{
	"FloatStorage": elemF32, "DoubleStorage": elemF64, "HalfStorage": elemF16, "BFloat16Storage": elemBF16,
	"LongStorage": elemI64, "IntStorage": elemI32, "ShortStorage": elemI16, "CharStorage": elemI8,
	"ByteStorage": elemU8, "BoolStorage": elemBool,
}

// torchStorageRef is a persistent reference to a storage file.
type torchStorageRef struct {
	class *torchStorageClass
	key   string
	numel int
}

// torchTensor is a tensor as _rebuild_tensor_v2 describes it: a strided
// view into a storage.
type torchTensor struct {
	storage *torchStorageRef
	offset  int
	size    []int
	stride  []int
}

// rebuildTensorV2 is torch._utils._rebuild_tensor_v2(storage,
// storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensorV2 struct{}

func (rebuildTensorV2) Call(args ...any) (any, error) {
	if len(args) != 6 && len(args) != 7 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %d arguments, want 6 or 7", len(args))
	}
	st, ok := args[0].(*torchStorageRef)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: first argument is %T, not a storage", args[0])
	}
	off, ok := args[1].(int)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: storage offset is %T, not an int", args[1])
	}
	size, err := intTuple("size", args[2])
	if err != nil {
		return nil, err
	}
	stride, err := intTuple("stride", args[3])
	if err != nil {
		return nil, err
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("_rebuild_tensor_v2: size %v and stride %v differ in rank", size, stride)
	}
	return &torchTensor{storage: st, offset: off, size: size, stride: stride}, nil
}

// rebuildParameter is torch._utils._rebuild_parameter(data,
// requires_grad, backward_hooks): a Parameter is its data here.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) != 3 {
		return nil, fmt.Errorf("_rebuild_parameter: %d arguments, want 3", len(args))
	}
	t, ok := args[0].(*torchTensor)
	if !ok {
		return nil, fmt.Errorf("_rebuild_parameter: data is %T, not a tensor", args[0])
	}
	return t, nil
}

func intTuple(what string, v any) ([]int, error) {
	tup, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %s is %T, not a tuple", what, v)
	}
	out := make([]int, tup.Len())
	for i := range out {
		x, ok := tup.Get(i).(int)
		if !ok {
			return nil, fmt.Errorf("_rebuild_tensor_v2: %s element %d is %T, not an int", what, i, tup.Get(i))
		}
		out[i] = x
	}
	return out, nil
}

// unpickleStateDict runs gopickle's unpickler over data with an allow-list
// of globals, so nothing but plain containers and tensor descriptions can
// be built. Storages are only referenced here; their bytes are read later.
func unpickleStateDict(data []byte) (any, error) {
	if err := checkPickle(data); err != nil {
		return nil, err
	}
	u := pickle.NewUnpickler(bytes.NewReader(data))
	// gopickle itself resolves collections.OrderedDict, builtins.list and
	// builtins.dict, __builtin__.object, array._array_reconstructor and
	// copy_reg._reconstructor to inert Go containers; everything else
	// reaches this function.
	u.FindClass = func(module, name string) (any, error) {
		switch module + "." + name {
		case "torch._utils._rebuild_tensor_v2":
			return rebuildTensorV2{}, nil
		case "torch._utils._rebuild_parameter":
			return rebuildParameter{}, nil
		}
		if module == "torch" {
			if k, ok := torchStorageClasses[name]; ok {
				return &torchStorageClass{name: name, kind: k}, nil
			}
		}
		return nil, fmt.Errorf("pickle refers to %s.%s, which is not an allowed class", module, name)
	}
	u.PersistentLoad = func(id any) (any, error) {
		tup, ok := id.(*types.Tuple)
		if !ok || tup.Len() != 5 {
			return nil, fmt.Errorf("persistent id is not a 5-tuple ('storage', type, key, location, numel)")
		}
		kind, _ := tup.Get(0).(string)
		class, okc := tup.Get(1).(*torchStorageClass)
		key, okk := tup.Get(2).(string)
		numel, okn := tup.Get(4).(int)
		if kind != "storage" || !okc || !okk || !okn {
			return nil, fmt.Errorf("malformed storage persistent id")
		}
		if numel < 0 || numel > tensor.MaxElements {
			return nil, fmt.Errorf("storage %s has %d elements", key, numel)
		}
		if key == "" || strings.ContainsAny(key, "/\\") || key == "." || key == ".." {
			return nil, fmt.Errorf("storage key %q is not a plain name", key)
		}
		return &torchStorageRef{class: class, key: key, numel: numel}, nil
	}
	return u.Load()
}

// maxDictDepth bounds nesting of dicts of tensors, which also stops
// cycles built through the pickle memo.
const maxDictDepth = 16

// maxStateDictEntries bounds the dict entries visited in all: the memo
// lets a few bytes share one dict many times at every level, which would
// otherwise make the walk exponential.
const maxStateDictEntries = 1 << 20

// collectTensors flattens nested dicts of tensors into out with dotted
// keys, visiting at most *visits entries. Keys are never formatted with
// %v: a memo-shared or self-containing value would print without bound.
func collectTensors(v any, prefix string, depth int, visits *int, out map[string]*torchTensor) error {
	if depth > maxDictDepth {
		return fmt.Errorf("dicts nested more than %d deep", maxDictDepth)
	}
	add := func(k, val any) error {
		if *visits--; *visits < 0 {
			return fmt.Errorf("state dict has more than %d entries in all: %w", maxStateDictEntries, ErrTooLarge)
		}
		ks, ok := k.(string)
		if !ok {
			return fmt.Errorf("a state dict key is %T, not a string", k)
		}
		if prefix != "" {
			ks = prefix + "." + ks
		}
		switch x := val.(type) {
		case *torchTensor:
			if _, dup := out[ks]; dup {
				return fmt.Errorf("duplicate tensor name %s", ks)
			}
			out[ks] = x
		case *types.OrderedDict, *types.Dict:
			return collectTensors(x, ks, depth+1, visits, out)
		}
		return nil
	}
	switch d := v.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			entry := e.Value.(*types.OrderedDictEntry)
			if err := add(entry.Key, entry.Value); err != nil {
				return err
			}
		}
	case *types.Dict:
		for _, entry := range *d {
			if err := add(entry.Key, entry.Value); err != nil {
				return err
			}
		}
	case *torchTensor:
		if depth == 0 {
			return fmt.Errorf("file holds a single tensor, not a state dict")
		}
	default:
		if depth == 0 {
			return fmt.Errorf("top-level object is %T, not a state dict", v)
		}
	}
	return nil
}

// readStorage reads and decodes one storage file into a typed slice:
// []float32 (float, half, bfloat16), []float64 or []int64 (all integers
// and bool), after checking its declared size against the archive entry
// and the limits.
func readStorage(f *zip.File, archiveSize int64, ref *torchStorageRef, l Limits) (any, error) {
	k := ref.class.kind
	if err := l.checkTensorBytes("storage "+ref.key, ref.numel, k.dtype().Size()); err != nil {
		return nil, err
	}
	want := uint64(ref.numel) * uint64(k.size())
	if f.UncompressedSize64 != want {
		return nil, fmt.Errorf("storage %s: %s of %d elements needs %d bytes, archive entry has %d",
			ref.key, ref.class.name, ref.numel, want, f.UncompressedSize64)
	}
	raw, err := readZipEntry(f, archiveSize, l)
	if err != nil {
		return nil, err
	}
	return decodeElems(raw, k, binary.LittleEndian)
}

// materialize copies the tensor's strided view of st into a new
// contiguous tensor, after checking the view stays inside the storage.
func (tt *torchTensor) materialize(st any) (*tensor.Tensor, error) {
	var n int
	switch s := st.(type) {
	case []float32:
		n = len(s)
	case []float64:
		n = len(s)
	case []int64:
		n = len(s)
	}
	count, err := checkStrided(n, tt.offset, tt.size, tt.stride)
	if err != nil {
		return nil, err
	}
	switch s := st.(type) {
	case []float32:
		return tensor.FromFloat32(tt.size, gatherStrided(s, tt.offset, tt.size, tt.stride, count))
	case []float64:
		return tensor.FromFloat64(tt.size, gatherStrided(s, tt.offset, tt.size, tt.stride, count))
	default:
		return tensor.FromInt64(tt.size, gatherStrided(st.([]int64), tt.offset, tt.size, tt.stride, count))
	}
}
