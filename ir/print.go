package ir

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The printer is the single source of truth for the text form: dumps,
// hashes, golden files, verifier messages and DOT labels all go through it.

// String prints the value as one line, e.g.
//
//	%3 = einsum "ab,cb->ac" %1 %2 : f32[10000,10]
func (v *Value) String() string {
	var sb strings.Builder
	writeValue(&sb, v)
	return sb.String()
}

func writeValue(sb *strings.Builder, v *Value) {
	fmt.Fprintf(sb, "%%%d = %s", v.ID, v.Op)
	d, known := Lookup(v.Op)
	seen := map[string]bool{}
	if known {
		for _, s := range d.Attrs {
			seen[s.Name] = true
			sb.WriteByte(' ')
			a, ok := v.Attrs[s.Name]
			if !ok {
				sb.WriteString("?" + s.Name) // only malformed programs reach this; the parser rejects it
				continue
			}
			if s.Name == "hash" {
				if h, ok := a.(string); ok {
					a = shortHash(h)
				}
			}
			writeAttr(sb, a)
		}
	}
	var extra []string
	for k := range v.Attrs {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		sb.WriteString(" " + k + "=")
		writeAttr(sb, v.Attrs[k])
	}
	for _, o := range v.Operands {
		fmt.Fprintf(sb, " %%%d", o)
	}
	sb.WriteString(" : ")
	sb.WriteString(v.Type.String())
}

func writeAttr(sb *strings.Builder, a any) {
	switch x := a.(type) {
	case string:
		sb.WriteString(strconv.Quote(x))
	case int:
		sb.WriteString(strconv.Itoa(x))
	case []int:
		writeInts(sb, x)
	case float64:
		sb.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	default:
		fmt.Fprintf(sb, "<%T %v>", a, a)
	}
}

// String prints the whole program: one line per value in order, then one
// `output "name" %N` line per output.
func (p *Program) String() string {
	var sb strings.Builder
	for _, v := range p.Values {
		writeValue(&sb, v)
		sb.WriteByte('\n')
	}
	for _, o := range p.Outputs {
		fmt.Fprintf(&sb, "output %s %%%d\n", strconv.Quote(o.Name), o.ID)
	}
	return sb.String()
}

// Hash is the SHA-256 (hex) of the printed program; structurally equal
// programs with equal ids hash equal. Constants enter through their printed
// hash prefix.
func (p *Program) Hash() string {
	s := sha256.Sum256([]byte(p.String()))
	return hex.EncodeToString(s[:])
}
