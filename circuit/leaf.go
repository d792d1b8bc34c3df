package circuit

import (
	"crypto/rand"
	"fmt"
	"math"
	"math/bits"
	"regexp"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// Array is a constant tensor: a weight or an input. Its hash covers the
// tensor's content hash, so equal values give equal arrays.
type Array struct {
	base
	Value *tensor.Tensor
	// ContentHash is the tensor's content hash in hex (what the text format prints).
	ContentHash string
}

// NewArray wraps t. A nil tensor is an error.
func NewArray(t *tensor.Tensor, name string) (*Array, error) {
	if t == nil {
		return nil, nodeErr(KindArray, name, "nil tensor")
	}
	a := &Array{base: base{name: name, shape: t.Shape()}, Value: t, ContentHash: tensor.ContentHashHex(t)}
	return finish(a).(*Array), nil
}

// RandArray is an Array of standard normal draws seeded by seed.
func RandArray(shape []int, seed uint64, dt tensor.DType, name string) (*Array, error) {
	t, err := tensor.RandN(dt, shape, seed)
	if err != nil {
		return nil, nodeErr(KindArray, name, "%w", err)
	}
	return NewArray(t, name)
}

func (*Array) Kind() Kind                                    { return KindArray }
func (a *Array) writeFields(h *hasher)                       { h.str(a.ContentHash) }
func (a *Array) shallowCopy() Circuit                        { c := *a; return &c }
func (a *Array) Rename(name string) Circuit                  { return renameNode(a, name) }
func (a *Array) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(a, na, ad) }
func (a *Array) WithChildren(cs []Circuit) (Circuit, error) {
	return leafWithChildren(a, cs)
}

func leafWithChildren(c Circuit, cs []Circuit) (Circuit, error) {
	if len(cs) != 0 {
		return nil, nodeErr(c.Kind(), c.Name(), "takes no children, got %d", len(cs))
	}
	return c, nil
}

// Scalar is a constant fill of a given shape.
type Scalar struct {
	base
	Value float64
}

// NewScalar makes a constant of the given shape.
func NewScalar(v float64, shape []int, name string) (*Scalar, error) {
	if err := checkUnallocatedShape(shape); err != nil {
		return nil, nodeErr(KindScalar, name, "%w", err)
	}
	if math.IsNaN(v) {
		v = math.NaN() // one bit pattern, so NaN scalars print and hash alike
	}
	s := &Scalar{base: base{name: name, shape: cloneInts(shape)}, Value: v}
	return finish(s).(*Scalar), nil
}

// checkUnallocatedShape checks a shape nothing is allocated for at
// construction (a Scalar's, as rust_circuit's [100_000_000_000] Scalar 1):
// sizes must be non-negative or symbolic and their product must fit an int.
func checkUnallocatedShape(shape []int) error {
	n := uint64(1)
	for _, d := range shape {
		if IsSymbolic(d) {
			continue
		}
		if d < 0 {
			return fmt.Errorf("negative dimension %d in shape %s", d, shapeString(shape))
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return fmt.Errorf("shape %s has more elements than an int holds", shapeString(shape))
		}
		n = lo
	}
	return nil
}

// checkShape bounds the concrete part of a shape; symbolic sizes count as 1
// since nothing of that size exists until a Module binding fixes them.
func checkShape(shape []int) error {
	if HasSymbolic(shape) {
		c := make([]int, len(shape))
		for i, d := range shape {
			c[i] = d
			if IsSymbolic(d) {
				c[i] = 1
			}
		}
		shape = c
	}
	_, err := tensor.NumElements(shape)
	return err
}

func (*Scalar) Kind() Kind                                    { return KindScalar }
func (s *Scalar) writeFields(h *hasher)                       { h.float(s.Value) }
func (s *Scalar) shallowCopy() Circuit                        { c := *s; return &c }
func (s *Scalar) Rename(name string) Circuit                  { return renameNode(s, name) }
func (s *Scalar) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(s, na, ad) }
func (s *Scalar) WithChildren(cs []Circuit) (Circuit, error)  { return leafWithChildren(s, cs) }

// IsZero reports whether the scalar is 0.
func (s *Scalar) IsZero() bool { return s.Value == 0 }

// Symbol is a free variable of a given shape; evaluation needs a binding.
type Symbol struct {
	base
	UUID string
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// NewUUID returns a random version-4 UUID.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("circuit: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ParseUUID validates and lower-cases a UUID string.
func ParseUUID(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !uuidRE.MatchString(s) {
		return "", fmt.Errorf("invalid uuid %q", s)
	}
	return s, nil
}

// NewSymbol makes a free variable; an empty uuid draws a fresh one.
func NewSymbol(shape []int, uuid, name string) (*Symbol, error) {
	if err := checkShape(shape); err != nil {
		return nil, nodeErr(KindSymbol, name, "%w", err)
	}
	if uuid == "" {
		uuid = NewUUID()
	}
	u, err := ParseUUID(uuid)
	if err != nil {
		return nil, nodeErr(KindSymbol, name, "%w", err)
	}
	s := &Symbol{base: base{name: name, shape: cloneInts(shape)}, UUID: u}
	return finish(s).(*Symbol), nil
}

func (*Symbol) Kind() Kind                                    { return KindSymbol }
func (s *Symbol) writeFields(h *hasher)                       { h.str(s.UUID) }
func (s *Symbol) shallowCopy() Circuit                        { c := *s; return &c }
func (s *Symbol) Rename(name string) Circuit                  { return renameNode(s, name) }
func (s *Symbol) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(s, na, ad) }
func (s *Symbol) WithChildren(cs []Circuit) (Circuit, error)  { return leafWithChildren(s, cs) }

// FormatNumber prints a float as rust_circuit does (Rust's f64 Display):
// the shortest decimal that reads back exactly, never in exponent form,
// integers without a decimal point ("1", "-3", "0.00001"). NaN prints as
// "nan" (Rust prints "NaN"; both parsers read either).
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	// Shortest round-trip digits in plain notation, as Rust's f64 Display
	// (which rust_circuit uses) prints them: 1e21 is
	// "1000000000000000000000", 1.2345678901234568e20 is
	// "123456789012345680000", 1e-5 is "0.00001".
	return strconvFormatPlain(v)
}
