package passes

import "github.com/circopt/circopt/ir"

// deadcode drops every value the outputs do not reach and renumbers ids
// densely. The verifier forbids dead values, and every value costs time and
// memory at run time, so this runs first and again after the fusions.
func deadcode(p *ir.Program, _ *Context) (*ir.Program, error) { return prune(p) }
