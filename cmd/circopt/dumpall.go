package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/circopt/circopt/passes"
)

// dumpSections collects the passes' dumps one section per pass (a
// section starts at the manager's "# after NAME" header), so that
// -dump-after all can print only the passes that changed the program.
type dumpSections struct {
	names    []string
	sections []*bytes.Buffer
}

func (d *dumpSections) Write(p []byte) (int, error) {
	if name, ok := strings.CutPrefix(string(p), "# after "); ok {
		if name, ok = strings.CutSuffix(name, "\n"); ok {
			if _, known := passes.Lookup(name); known {
				d.names = append(d.names, name)
				d.sections = append(d.sections, new(bytes.Buffer))
			}
		}
	}
	if len(d.sections) == 0 {
		return 0, fmt.Errorf("dump text before any pass header: %q", p)
	}
	return d.sections[len(d.sections)-1].Write(p)
}

// flush writes the sections of the passes that changed the program, then
// one line naming those that did not. Every dumped pass must be in rep, in
// order (as -dump-after all dumps them).
func (d *dumpSections) flush(w io.Writer, rep *passes.Report) error {
	if len(d.names) != len(rep.Passes) {
		return fmt.Errorf("dumped %d passes, but %d ran", len(d.names), len(rep.Passes))
	}
	var unchanged []string
	for i, p := range rep.Passes {
		if p.Name != d.names[i] {
			return fmt.Errorf("dump %d is of pass %s, but %s ran", i, d.names[i], p.Name)
		}
		if !p.Changed {
			unchanged = append(unchanged, p.Name)
			continue
		}
		if _, err := d.sections[i].WriteTo(w); err != nil {
			return err
		}
	}
	if len(unchanged) > 0 {
		_, err := fmt.Fprintf(w, "# unchanged: %s\n", strings.Join(unchanged, ", "))
		return err
	}
	return nil
}
