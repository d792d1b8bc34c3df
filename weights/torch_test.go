package weights

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// pk assembles a protocol-2 pickle by hand, as torch.save would write it.
type pk struct{ bytes.Buffer }

func (p *pk) op(b ...byte)       { p.Write(b) }
func (p *pk) global(m, n string) { p.WriteString("c" + m + "\n" + n + "\n") }
func (p *pk) str(s string) {
	p.WriteByte('X')
	binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
}
func (p *pk) int(v int) {
	if v != int(int32(v)) {
		p.op(0x8a, 8) // LONG1 with 8 bytes
		binary.Write(&p.Buffer, binary.LittleEndian, int64(v))
		return
	}
	p.WriteByte('J')
	binary.Write(&p.Buffer, binary.LittleEndian, int32(v))
}
func (p *pk) ints(vs ...int) {
	p.op('(')
	for _, v := range vs {
		p.int(v)
	}
	p.op('t')
}

// torchEntry describes one state-dict tensor for makeTorchPickle.
type torchEntry struct {
	name, storage, key string
	numel, offset      int
	size, stride       []int
}

func makeTorchPickle(entries []torchEntry) []byte {
	var p pk
	p.op(0x80, 2)
	p.global("collections", "OrderedDict")
	p.op(')', 'R', '(')
	for _, e := range entries {
		p.str(e.name)
		p.global("torch._utils", "_rebuild_tensor_v2")
		p.op('(', '(')
		p.str("storage")
		p.global("torch", e.storage)
		p.str(e.key)
		p.str("cpu")
		p.int(e.numel)
		p.op('t', 'Q')
		p.int(e.offset)
		p.ints(e.size...)
		p.ints(e.stride...)
		p.op(0x89)
		p.global("collections", "OrderedDict")
		p.op(')', 'R', 't', 'R')
	}
	p.op('u', '.')
	return p.Bytes()
}

func makeTorchZip(t testing.TB, pickle []byte, storages map[string][]byte) []byte {
	m := map[string][]byte{"stored:archive/data.pkl": pickle, "stored:archive/version": []byte("3\n"), "stored:archive/byteorder": []byte("little")}
	for k, v := range storages {
		m["stored:archive/data/"+k] = v
	}
	return makeZip(t, m)
}

func syntheticTorch(t testing.TB) []byte {
	f := make([]float32, 12)
	for i := range f {
		f[i] = float32(i)
	}
	pkl := makeTorchPickle([]torchEntry{
		// A transposed view: element (i,j) = storage[1 + i + 3j].
		{"w.t", "FloatStorage", "0", 12, 1, []int{3, 2}, []int{1, 3}},
		{"w", "FloatStorage", "0", 12, 0, []int{3, 4}, []int{4, 1}},
		// An expanded (broadcast) view: rows repeat storage[2:5].
		{"bc", "FloatStorage", "0", 12, 2, []int{2, 3}, []int{0, 1}},
		{"idx", "IntStorage", "1", 3, 0, []int{3}, []int{1}},
		{"h", "HalfStorage", "2", 2, 0, []int{2}, []int{1}},
		{"d", "DoubleStorage", "3", 1, 0, []int{}, []int{}},
		{"e", "LongStorage", "4", 0, 0, []int{0, 5}, []int{5, 1}},
	})
	return makeTorchZip(t, pkl, map[string][]byte{
		"0": le(f), "1": le([]int32{-7, 0, 9}), "2": le([]uint16{0x3c00, 0xb800}),
		"3": le(math.E), "4": nil,
	})
}

func TestReadTorchSynthetic(t *testing.T) {
	data := syntheticTorch(t)
	m, err := ReadTorch(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 7 {
		t.Fatalf("keys %v", keys(m))
	}
	checkTensor(t, m["w.t"], tensor.Float32, []int{3, 2}, []float64{1, 4, 2, 5, 3, 6})
	checkTensor(t, m["w"], tensor.Float32, []int{3, 4}, seq(12))
	checkTensor(t, m["bc"], tensor.Float32, []int{2, 3}, []float64{2, 3, 4, 2, 3, 4})
	checkTensor(t, m["idx"], tensor.Int64, []int{3}, []float64{-7, 0, 9})
	checkTensor(t, m["h"], tensor.Float32, []int{2}, []float64{1, -0.5})
	checkTensor(t, m["d"], tensor.Float64, []int{}, []float64{math.E})
	checkTensor(t, m["e"], tensor.Int64, []int{0, 5}, nil)
	for k, x := range m {
		if !x.IsContiguous() {
			t.Errorf("%s is not contiguous", k)
		}
	}

	// A checkpoint dict: nested state dicts flatten to dotted names and
	// non-tensor entries are skipped.
	inner := makeTorchPickle([]torchEntry{{"v", "LongStorage", "k", 2, 0, []int{2}, []int{1}}})
	var ck pk
	ck.op(0x80, 2, '}', '(')
	ck.str("model")
	ck.Write(inner[2 : len(inner)-1])
	ck.str("epoch")
	ck.int(3)
	ck.op('u', '.')
	z := makeZip(t, map[string][]byte{"a/data.pkl": ck.Bytes(), "a/data/k": le([]int64{5, -5})})
	m, err = ReadTorch(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 {
		t.Fatalf("checkpoint keys %v", keys(m))
	}
	checkTensor(t, m["model.v"], tensor.Int64, []int{2}, []float64{5, -5})

	// Any archive folder name works, including none.
	pkl := makeTorchPickle([]torchEntry{{"v", "LongStorage", "k", 2, 0, []int{2}, []int{1}}})
	for _, prefix := range []string{"", "my_model/"} {
		z := makeZip(t, map[string][]byte{prefix + "data.pkl": pkl, prefix + "data/k": le([]int64{5, -5})})
		m, err := ReadTorch(bytes.NewReader(z), int64(len(z)))
		if err != nil {
			t.Fatalf("prefix %q: %v", prefix, err)
		}
		checkTensor(t, m["v"], tensor.Int64, []int{2}, []float64{5, -5})
	}
}

func TestReadTorchRejects(t *testing.T) {
	f12 := le(make([]float32, 12))
	entry := func(mod func(*torchEntry)) []byte {
		e := torchEntry{"w", "FloatStorage", "0", 12, 0, []int{3, 4}, []int{4, 1}}
		mod(&e)
		return makeTorchZip(t, makeTorchPickle([]torchEntry{e}), map[string][]byte{"0": f12})
	}
	var evil pk
	evil.op(0x80, 2)
	evil.global("os", "system")
	evil.str("echo pwned")
	evil.op(0x85, 'R', '.')
	var evil2 pk // STACK_GLOBAL form of the same attack
	evil2.op(0x80, 4)
	evil2.str("builtins")
	evil2.str("eval")
	evil2.op(0x93)
	evil2.str("1")
	evil2.op(0x85, 'R', '.')
	hugeFrame := append([]byte{0x80, 4, 0x95}, le(uint64(1)<<40)...)
	hugeBytes := append([]byte{0x80, 4, 0x8e}, le(uint64(1)<<45)...)
	cases := map[string]struct {
		data []byte
		msg  string
	}{
		"os.system":         {makeTorchZip(t, evil.Bytes(), nil), "os.system, which is not an allowed class"},
		"builtins.eval":     {makeTorchZip(t, evil2.Bytes(), nil), "builtins.eval, which is not an allowed class"},
		"offset past end":   {entry(func(e *torchEntry) { e.offset = 1 }), "reaches past"},
		"stride past end":   {entry(func(e *torchEntry) { e.stride = []int{5, 1} }), "reaches past"},
		"huge stride":       {entry(func(e *torchEntry) { e.stride = []int{1 << 62, 1} }), "reaches past"},
		"negative stride":   {entry(func(e *torchEntry) { e.stride = []int{-4, 1} }), "negative stride"},
		"negative size":     {entry(func(e *torchEntry) { e.size = []int{-3, 4} }), "negative"},
		"numel mismatch":    {entry(func(e *torchEntry) { e.numel = 13 }), "needs 52 bytes"},
		"huge numel":        {entry(func(e *torchEntry) { e.numel = 1 << 40 }), "elements"},
		"missing storage":   {entry(func(e *torchEntry) { e.key = "9" }), "missing from archive"},
		"path key":          {entry(func(e *torchEntry) { e.key = "../0" }), "not a plain name"},
		"unknown storage":   {entry(func(e *torchEntry) { e.storage = "ComplexFloatStorage" }), "not an allowed class"},
		"broadcast bomb":    {entry(func(e *torchEntry) { e.size, e.stride = []int{1 << 32}, []int{0} }), "plausibly"},
		"rank mismatch":     {entry(func(e *torchEntry) { e.stride = []int{1} }), "differ in rank"},
		"huge frame":        {makeTorchZip(t, hugeFrame, nil), "needs 1099511627776 bytes"},
		"huge bytes":        {makeTorchZip(t, hugeBytes, nil), "bytes"},
		"no data.pkl":       {makeZip(t, map[string][]byte{"a/b": nil}), "no data.pkl"},
		"not zip":           {[]byte("\x80\x02}q\x00."), "not a zip-format"},
		"torchscript":       {makeZip(t, map[string][]byte{"a/data.pkl": nil, "a/constants.pkl": nil}), "TorchScript"},
		"big endian":        {makeZip(t, map[string][]byte{"a/data.pkl": []byte("}."), "a/byteorder": []byte("big")}), "byte order"},
		"not a dict":        {makeTorchZip(t, []byte("\x80\x02K\x05."), nil), "not a state dict"},
		"unhashable key":    {makeTorchZip(t, []byte("\x80\x02ccollections\nOrderedDict\n)R(C\x01aK\x01u."), nil), "malformed input"},
		"list as dict":      {makeTorchZip(t, []byte("\x80\x02}](K\x01K\x02u."), nil), "SETITEMS"},
		"garbage pickle":    {makeTorchZip(t, []byte("\xff\xfe"), nil), "unknown opcode"},
		"no stop":           {makeTorchZip(t, []byte("\x80\x02}"), nil), "no STOP"},
		"empty long":        {makeTorchZip(t, []byte("\x80\x02\x8a\x00."), nil), "torch"},
		"empty stack build": {makeTorchZip(t, []byte("\x80\x02b."), nil), "torch"},
	}
	for name, c := range cases {
		_, err := ReadTorch(bytes.NewReader(c.data), int64(len(c.data)))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q does not mention %q", name, err, c.msg)
		}
	}
}

func TestReadTorchTruncated(t *testing.T) {
	data := syntheticTorch(t)
	for n := 0; n < len(data); n++ {
		if _, err := ReadTorch(bytes.NewReader(data[:n]), int64(n)); err == nil {
			t.Errorf("archive cut to %d bytes: no error", n)
		}
	}
	// Cut the pickle itself inside an otherwise valid archive.
	f12 := le(make([]float32, 12))
	pkl := makeTorchPickle([]torchEntry{{"w", "FloatStorage", "0", 12, 0, []int{3, 4}, []int{4, 1}}})
	for n := 0; n < len(pkl); n++ {
		z := makeTorchZip(t, pkl[:n], map[string][]byte{"0": f12})
		if _, err := ReadTorch(bytes.NewReader(z), int64(len(z))); err == nil {
			t.Errorf("pickle cut to %d bytes: no error", n)
		}
	}
	// A storage file shorter than the pickle says.
	z := makeTorchZip(t, pkl, map[string][]byte{"0": f12[:40]})
	if _, err := ReadTorch(bytes.NewReader(z), int64(len(z))); err == nil {
		t.Error("short storage: no error")
	}
}

// remixDir is where the shared test models live, relative to this package.
var remixDir = filepath.Join("..", "..", "shared", "remix")

func TestLoadTorchRemixModels(t *testing.T) {
	pa, pb := filepath.Join(remixDir, "model_a.pickle"), filepath.Join(remixDir, "model_b.pickle")
	for _, p := range []string{pa, pb} {
		if _, err := os.Stat(p); err != nil {
			t.Skip("../shared/remix not present: ", err)
		}
	}
	want := map[string][]int{"first.weight": {784, 784}, "first.bias": {784}, "last.weight": {10, 784}, "last.bias": {10}}
	var models []map[string]*tensor.Tensor
	for _, p := range []string{pa, pb} {
		m, err := LoadTorch(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != len(want) {
			t.Fatalf("%s: keys %v", p, keys(m))
		}
		for name, shape := range want {
			x := m[name]
			if x == nil {
				t.Fatalf("%s: no %s", p, name)
			}
			checkShape(t, name, x, tensor.Float32, shape)
			vals := x.Float64s()
			nonzero, sumAbs := 0, 0.0
			for _, v := range vals {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s %s: non-finite value", p, name)
				}
				if v != 0 {
					nonzero++
				}
				sumAbs += math.Abs(v)
			}
			// Trained weights are dense and small: no exact zeros to speak
			// of, and a mean magnitude well below 1.
			if nonzero < len(vals)*9/10 {
				t.Errorf("%s %s: only %d of %d nonzero", p, name, nonzero, len(vals))
			}
			if mean := sumAbs / float64(len(vals)); mean <= 1e-5 || mean > 1 {
				t.Errorf("%s %s: mean |w| = %g", p, name, mean)
			}
		}
		checkAgainstRawStorage(t, p, m["first.weight"])
		models = append(models, m)
	}
	for name := range want {
		if tensor.ContentHashHex(models[0][name]) == tensor.ContentHashHex(models[1][name]) {
			t.Errorf("%s equal in model_a and model_b", name)
		}
	}
	// Load dispatches .pickle zips to the torch reader.
	m, err := Load(pa)
	if err != nil || tensor.ContentHashHex(m["last.bias"]) != tensor.ContentHashHex(models[0]["last.bias"]) {
		t.Errorf("Load: %v", err)
	}
}

func checkShape(t *testing.T, name string, x *tensor.Tensor, dt tensor.DType, shape []int) {
	t.Helper()
	if x.DType() != dt || len(x.Shape()) != len(shape) {
		t.Fatalf("%s: %v %v, want %v %v", name, x.DType(), x.Shape(), dt, shape)
	}
	for i := range shape {
		if x.Shape()[i] != shape[i] {
			t.Fatalf("%s: shape %v, want %v", name, x.Shape(), shape)
		}
	}
}

// checkAgainstRawStorage compares first.weight with the little-endian
// floats of archive/data/0 read directly (it is stored with offset 0 and
// stride (784, 1), so the bytes are the C-order values).
func checkAgainstRawStorage(t *testing.T, path string, x *tensor.Tensor) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.Open("archive/data/0")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	raw := make([]byte, 784*784*4)
	if _, err := io.ReadFull(rc, raw); err != nil {
		t.Fatal(err)
	}
	got := x.Float32s()
	for _, i := range []int{0, 1, 783, 784, 12345, 784*784 - 1} {
		if w := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got[i] != w {
			t.Errorf("%s first.weight flat %d = %v, raw storage has %v", path, i, got[i], w)
		}
	}
}

func FuzzReadTorch(f *testing.F) {
	f.Add(syntheticTorch(f))
	f.Add(makeTorchZip(f, []byte("\x80\x02}."), nil))
	f.Add(makeTorchZip(f, append([]byte{0x80, 4, 0x95}, le(uint64(1)<<40)...), nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadTorch(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for k, x := range m {
			if !x.IsContiguous() {
				t.Fatalf("%s not contiguous", k)
			}
		}
	})
}

// FuzzTorchPickle fuzzes data.pkl inside a well-formed archive, so the
// mutations reach the pickle reader instead of failing the zip checksum.
func FuzzTorchPickle(f *testing.F) {
	f.Add(makeTorchPickle([]torchEntry{
		{"w.t", "FloatStorage", "0", 12, 1, []int{3, 2}, []int{1, 3}},
		{"idx", "IntStorage", "1", 3, 0, []int{3}, []int{1}},
	}))
	f.Add([]byte("\x80\x02}q\x00."))
	f.Add([]byte("\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94."))
	f.Add(laughs(4, 6))
	f.Add([]byte("\x80\x02((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((."))
	f.Add([]byte("\x80\x02L123456789012345678901234567890\n."))
	storages := map[string][]byte{"0": le(make([]float32, 12)), "1": le([]int32{1, 2, 3})}
	f.Fuzz(func(t *testing.T, pkl []byte) {
		z := makeTorchZip(t, pkl, storages)
		m, err := ReadTorch(bytes.NewReader(z), int64(len(z)))
		if err != nil {
			return
		}
		for k, x := range m {
			if !x.IsContiguous() {
				t.Fatalf("%s not contiguous", k)
			}
		}
	})
}
