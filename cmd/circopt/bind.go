package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// binding is one -bind NAME=FILE.npy after loading.
type binding struct {
	key  string // a Symbol name or uuid
	file string
	t    *tensor.Tensor
}

// loadBindings reads every -bind NAME=FILE.npy. A malformed or repeated
// NAME is a usage error; an unreadable file or an integer or bool array
// is invalid input: Symbols are float-valued, and silently turning a
// label array into floats hides mistakes (convert with .astype(np.float32)).
// A float64 file binds a float32 evaluation and vice versa, converted.
func loadBindings(binds []string) (map[string]*binding, error) {
	out := map[string]*binding{}
	for _, b := range binds {
		name, file, ok := strings.Cut(b, "=")
		if !ok || name == "" || file == "" {
			return nil, usagef("-bind wants NAME=FILE.npy, got %q", b)
		}
		if prev, dup := out[name]; dup {
			return nil, usagef("-bind %s given twice (%s and %s)", name, prev.file, file)
		}
		if err := checkReadable(file, false); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		t, err := weights.LoadNpy(file)
		if err != nil {
			return nil, fileErr(file, err)
		}
		if !t.DType().IsFloat() {
			return nil, fmt.Errorf("%s: -bind %s: an integer or bool array cannot bind a Symbol; save it as float32 or float64 (.astype(np.float32))", file, name)
		}
		out[name] = &binding{key: name, file: file, t: t}
	}
	return out, nil
}

// checkBindSizes refuses -bind files whose declared tensors (or, where the
// header cannot be read, whose sizes) exceed limit (0: none) together,
// before any is read; the message names the largest file.
func checkBindSizes(binds []string, limit int64) error {
	if limit <= 0 {
		return nil
	}
	var total, largest int64
	var largestFile string
	for _, b := range binds {
		_, file, _ := strings.Cut(b, "=")
		fi, err := os.Stat(file)
		if err != nil || !fi.Mode().IsRegular() {
			continue // loading it reports the problem by name
		}
		n := fi.Size()
		if _, _, declared, err := weights.StatTensorFile(file); err == nil {
			n = declared
		}
		total += n
		if n > largest {
			largest, largestFile = n, file
		}
	}
	if total > limit {
		return fmt.Errorf("%s: %w", largestFile, &runtime.OverMemoryError{What: "loading the -bind files", Need: total, Limit: limit})
	}
	return nil
}

// bindingBytes is the memory the loaded bindings hold.
func bindingBytes(binds map[string]*binding) int64 {
	var n int64
	for _, b := range binds {
		n += b.t.Bytes()
	}
	return n
}

// bindSymbols matches bindings to the free Symbols of cs by
// circuit.ResolveBindings' rule (the one eval -naive and the compiled plan
// apply to what this returns: the bindings by their -bind keys). Every
// problem is one line: a name two Symbols of different uuids share, a uuid
// two shapes share, a Symbol bound both by name and by uuid to different
// files, a shape that differs from the Symbol's, a -bind NAME that names no
// free Symbol (a typo would otherwise be ignored) and, unless allowFree, a
// free Symbol left unbound.
func bindSymbols(path string, cs []circuit.Circuit, binds map[string]*binding, allowFree bool) (map[string]*tensor.Tensor, error) {
	free := circuit.FreeSymbols(cs...)
	user := make(map[string]*tensor.Tensor, len(binds))
	for k, b := range binds {
		user[k] = b.t
	}
	// Symbols bound twice first, so the message names the files.
	var msgs []string
	for _, s := range free {
		var byUUID *binding
		if circuit.BindsByUUID(s) {
			byUUID = binds[s.UUID]
		}
		b := binds[s.Name()]
		if b == nil || s.Name() == "" {
			b = byUUID
		} else if byUUID != nil && byUUID != b {
			msgs = append(msgs, fmt.Sprintf("%s: Symbol %s is bound twice: by name to %s and by uuid to %s", path, quoteName(s.Name()), b.file, byUUID.file))
			continue
		}
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(msgs, "\n"))
	}
	res, err := circuit.ResolveBindings(free, user)
	var se *circuit.BindingShapeError
	switch {
	case errors.As(err, &se):
		b := binds[se.Key]
		return nil, reworded{fmt.Sprintf("%s: -bind %s: array of shape %s, but Symbol %s has shape %s", b.file, b.key, shapeText(b.t.Shape()), symbolLabel(se.Symbol), shapeText(se.Symbol.Shape())), err}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !allowFree {
		for _, s := range res.Unbound {
			msgs = append(msgs, fmt.Sprintf("%s: unbound Symbol %s of shape %s (pass -bind %s=FILE.npy)", path, symbolLabel(s), shapeText(s.Shape()), bindName(s)))
		}
	}
	for _, k := range res.Unused {
		msgs = append(msgs, fmt.Sprintf("%s: -bind %s: no free Symbol has that name or uuid%s", path, k, freeList(cs)))
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(msgs, "\n"))
	}
	return user, nil
}

// reworded is an error told in the CLI's words (naming the file) that
// still unwraps to the library's.
type reworded struct {
	msg string
	err error
}

func (r reworded) Error() string { return r.msg }
func (r reworded) Unwrap() error { return r.err }

// freeList names the free Symbols, for the unknown -bind message.
func freeList(cs []circuit.Circuit) string {
	var names []string
	for _, s := range circuit.FreeSymbols(cs...) {
		names = append(names, bindName(s))
	}
	if len(names) == 0 {
		return " (the file has no free Symbols)"
	}
	return " (free Symbols: " + strings.Join(names, ", ") + ")"
}

func symbolLabel(s *circuit.Symbol) string {
	if s.Name() != "" {
		return quoteName(s.Name())
	}
	return s.UUID
}

func bindName(s *circuit.Symbol) string {
	if s.Name() != "" {
		return s.Name()
	}
	return s.UUID
}
