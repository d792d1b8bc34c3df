package order

import (
	"strconv"
	"strings"
)

// Step is one pairwise contraction (or, with Right == -1, the reduction of a
// lone operand). Left and Right index the current operand list before the
// step (numpy einsum_path convention): both are removed, the result is
// appended at the end.
type Step struct {
	Left, Right int
	// Result holds the labels kept: those in the output (in output order)
	// then those still needed by other operands (ascending).
	Result []int
	// Summed holds the labels summed away in this step, ascending.
	Summed []int
	// FLOPs of this step under the package cost model.
	FLOPs float64
	// Elements of the result.
	Elements int64
}

// Path is a contraction order for a Problem.
type Path struct {
	Steps []Step
	// FLOPs is the sum of the steps' FLOPs.
	FLOPs float64
	// MaxIntermediate is the largest Elements among the steps other than
	// the last; 0 when there are fewer than two steps.
	MaxIntermediate int64
	// Method is "dp", "greedy", "single" (0 or 1 operands),
	// "left-to-right" or "exhaustive".
	Method string
	// Final holds the labels of the result after the last step: the output
	// labels that occur in some operand, in output order, each once.
	Final []int
	// OverCap is set when some intermediate exceeds Problem.MemCap.
	OverCap bool
}

// String renders the path for compiler dumps, naming labels 0..25 a..z,
// 26..51 A..Z and others {n}, e.g.
//
//	dp: (0,1)->ac [2.0e5 flops] (0,1)->ae [2.0e3 flops] total 2.0e5 flops, peak 100
func (p Path) String() string { return p.Format(letterName) }

// Format is String with caller-chosen label names. Names are joined without
// separator when all are one character long, with commas otherwise.
func (p Path) Format(name func(label int) string) string {
	var b strings.Builder
	b.WriteString(p.Method)
	b.WriteString(":")
	for _, s := range p.Steps {
		if s.Right < 0 {
			b.WriteString(" (" + strconv.Itoa(s.Left) + ")->")
		} else {
			b.WriteString(" (" + strconv.Itoa(s.Left) + "," + strconv.Itoa(s.Right) + ")->")
		}
		b.WriteString(joinLabels(s.Result, name))
		b.WriteString(" [" + shortFloat(s.FLOPs) + " flops]")
	}
	b.WriteString(" total " + shortFloat(p.FLOPs) + " flops, peak " + strconv.FormatInt(p.MaxIntermediate, 10))
	if p.OverCap {
		b.WriteString(" (over cap)")
	}
	return b.String()
}

func letterName(l int) string {
	switch {
	case l >= 0 && l < 26:
		return string(rune('a' + l))
	case l >= 26 && l < 52:
		return string(rune('A' + l - 26))
	}
	return "{" + strconv.Itoa(l) + "}"
}

func joinLabels(ls []int, name func(int) string) string {
	if len(ls) == 0 {
		return "()"
	}
	names := make([]string, len(ls))
	short := true
	for i, l := range ls {
		names[i] = name(l)
		if len([]rune(names[i])) != 1 {
			short = false
		}
	}
	if short {
		return strings.Join(names, "")
	}
	return strings.Join(names, ",")
}

// shortFloat prints 2e5 as "2.0e5": compact, and stable across platforms.
func shortFloat(f float64) string {
	if f == 0 {
		return "0"
	}
	s := strconv.FormatFloat(f, 'e', 1, 64)
	i := strings.IndexByte(s, 'e')
	if i < 0 { // Inf, NaN
		return s
	}
	mant, exp := s[:i], s[i+1:]
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "e" + sign + exp
}
