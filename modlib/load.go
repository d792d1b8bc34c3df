package modlib

import (
	"fmt"
	"strings"

	"github.com/circopt/circopt/circuit"
)

const infoPrefix = "# info:"

// LoadModelString reads a model file as rust_circuit's
// load_transformer_model_string does: the `# info:` JSON line picks the
// module library, whose circuits the rest of the text refers to by name.
// opts.File names the input in errors; opts.References are added to the
// library's.
func LoadModelString(text string, opts circuit.ParseOptions) (TransformerInfo, []circuit.Circuit, error) {
	file := opts.File
	if file == "" {
		file = "<input>"
	}
	line, infoLine := "", 0
	for i, l := range strings.Split(text, "\n") {
		if js, ok := strings.CutPrefix(strings.TrimSpace(l), infoPrefix); ok {
			line, infoLine = js, i+1
			break
		}
	}
	if infoLine == 0 {
		return TransformerInfo{}, nil, fmt.Errorf("%s:1: no `%s` line: not a rust_circuit model file", file, infoPrefix)
	}
	info, err := ParseInfo(line)
	if err != nil {
		return TransformerInfo{}, nil, fmt.Errorf("%s:%d: %w", file, infoLine, err)
	}
	lib, err := Build(info.Params)
	if err != nil {
		return TransformerInfo{}, nil, fmt.Errorf("%s:%d: building the module library: %w", file, infoLine, err)
	}
	refs := make(map[string]circuit.Circuit, len(lib.Circs)+len(opts.References))
	for k, v := range lib.Circs {
		refs[k] = v
	}
	for k, v := range opts.References {
		refs[k] = v
	}
	opts.References = refs
	cs, err := circuit.ParseCircuits(text, opts)
	if err != nil {
		return TransformerInfo{}, nil, err
	}
	return info, cs, nil
}

// IsModelString reports whether text starts (after blank lines) with an
// `# info:` line.
func IsModelString(text string) bool {
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		return strings.HasPrefix(l, infoPrefix)
	}
	return false
}
