package main

// matcherHelp is the MATCHER syntax, shown by get, patch and rewrite -h.
const matcherHelp = `MATCHER: a quoted name ('x'), a node kind (Einsum), a regular expression on
names (/^a0./: as in rust_circuit "." is a literal dot and "\." any character;
unnamed nodes never match), A > B for "B a child of A", A >> B for "B anywhere
below A", A | B, !A and parentheses. So 'skip' > 'x' is the x feeding the skip
connection.`

// details is the longer help some commands print after their summary.
var details = map[string]string{
	"eval": `Every top-level circuit is one output, in file order, named by its root's
name ("output<i>" when unnamed, "#2", "#3"... appended to a repeated name).
Text output: a line 'name' [shape] dtype, then the values flat in C order.
-format json: {"outputs":[{"name","shape","dtype","data"}]}, data flat in
C order, a scalar's shape []; NaN and infinities are the strings "nan",
"inf", "-inf". Values print as the shortest decimal that reads back to the
same number of the dtype.
Free Symbols must be bound: -bind NAME=FILE.npy by the Symbol's name or
uuid, with a float32 or float64 array of the Symbol's shape. A NAME that is
no free Symbol, or a Symbol bound twice, is an error. -random-symbols gives
the unbound ones normal draws seeded by -seed (as verify does).
Several FILEs are parsed separately (idents are per file) and run as one
plan, sharing their common work; outputs are then named FILE:name.
-o OUT.npz saves every output under its name instead of printing them;
-o OUT.npy saves the only output.`,
	"verify": `Free Symbols not given with -bind get normal draws seeded by -seed; Array
<hash> nodes are random draws unless -tensors is given. -format json:
{"ok","outputs":[{"name","max_abs_err","max_rel_err"}],"first_bad_pass"}.
Exit status 1 when an output differs beyond the tolerances.`,
	"stats": `-format json: {"circuit_nodes","ir_values_before","ir_values_after",
"flops_naive","flops_optimized","peak_bytes","passes":[{"name","values_after","ms"}]}.`,
	"get":     matcherHelp,
	"patch":   matcherHelp,
	"rewrite": matcherHelp,
}
