package ir

import (
	"errors"
	"fmt"
)

// VerifyError is one problem Verify found. Line is the offending value's
// printed form (empty for program-level problems such as outputs).
type VerifyError struct {
	ID   int // value id, or -1
	Line string
	Msg  string
	// Dead marks the "unused and not an output" problem, which passes must
	// not leave behind but which does not stop a program from running.
	Dead bool
}

func (e *VerifyError) Error() string {
	if e.Line == "" {
		return e.Msg
	}
	return e.Line + ": " + e.Msg
}

// Verify checks every invariant listed in the package doc and returns all
// violations (nil when the program is well formed), each naming the
// offending value by its printed line.
func Verify(p *Program) []error {
	var errs []error
	report := func(v *Value, format string, args ...any) {
		e := &VerifyError{ID: -1, Msg: fmt.Sprintf(format, args...)}
		if v != nil {
			e.ID, e.Line = v.ID, v.String()
		}
		errs = append(errs, e)
	}
	if p == nil {
		return []error{errors.New("nil program")}
	}
	defined := map[int]*Value{}
	used := map[int]bool{}
	for _, v := range p.Values {
		if v == nil {
			report(nil, "nil value in program")
			continue
		}
		if _, dup := defined[v.ID]; dup {
			report(v, "duplicate id %%%d", v.ID)
		}
		operandsOK := true
		in := make([]Type, len(v.Operands))
		for i, o := range v.Operands {
			used[o] = true
			ov, ok := defined[o]
			if !ok {
				operandsOK = false
				if p.Position(o) >= 0 {
					report(v, "operand %%%d is used before its definition", o)
				} else {
					report(v, "operand %%%d is not defined", o)
				}
				continue
			}
			in[i] = ov.Type
		}
		defined[v.ID] = v
		d, ok := Lookup(v.Op)
		if !ok {
			report(v, "unknown op %q", v.Op)
			continue
		}
		if err := d.checkArity(len(v.Operands)); err != nil {
			report(v, "%v", err)
			continue
		}
		if aerrs := d.checkAttrs(v.Attrs); len(aerrs) > 0 {
			for _, e := range aerrs {
				report(v, "%v", e)
			}
			continue
		}
		if !operandsOK {
			continue
		}
		decl := v.Type
		if _, err := d.Check(v.Attrs, in, &decl); err != nil {
			report(v, "%v", err)
			continue
		}
		if v.Op == OpConst {
			h := v.Attrs.String("hash")
			c, ok := p.Consts[h]
			switch {
			case !ok || c == nil:
				report(v, "hash %s is not in the constant table", shortHash(h))
			case !(Type{DType: c.DType(), Shape: c.Shape()}).Equal(v.Type):
				report(v, "constant table tensor is %v", Type{DType: c.DType(), Shape: c.Shape()})
			}
		}
	}
	names := map[string]bool{}
	for _, o := range p.Outputs {
		line := fmt.Sprintf("output %q %%%d", o.Name, o.ID)
		if _, ok := defined[o.ID]; !ok {
			report(nil, "%s: value %%%d is not defined", line, o.ID)
		}
		if names[o.Name] {
			report(nil, "%s: output name %q is used twice", line, o.Name)
		}
		names[o.Name] = true
		used[o.ID] = true
	}
	for _, v := range p.Values {
		if v != nil && !used[v.ID] {
			report(v, "dead value: not used and not an output")
			errs[len(errs)-1].(*VerifyError).Dead = true
		}
	}
	return errs
}

// CheckOrder reports the first operand that is not defined before its use
// (nil if the program is in definition-before-use order).
func (p *Program) CheckOrder() error {
	seen := make(map[int]bool, len(p.Values))
	for _, v := range p.Values {
		for _, o := range v.Operands {
			if !seen[o] {
				return &VerifyError{ID: v.ID, Line: v.String(), Msg: fmt.Sprintf("operand %%%d is not defined earlier", o)}
			}
		}
		seen[v.ID] = true
	}
	return nil
}
