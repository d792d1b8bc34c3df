// Command circopt prints, evaluates, optimizes and verifies circuits written
// in rust_circuit's text format; DESIGN.md's "CLI contract" is the
// specification and `circopt -h` / `circopt COMMAND -h` the user's view.
//
// Invariants every command keeps:
//
//   - Exit status 0 on success; 1 for invalid input (a file that does not
//     parse, a bad .npy, an unbound or mis-bound Symbol, an input too big
//     for the memory limit), a failed evaluation or a failed verification;
//     2 for a usage error (unknown command or flag, bad flag value, wrong
//     number of arguments). -h and `circopt help` exit 0.
//   - Each problem is one line on stderr, `FILE:LINE: message` where a line
//     is known and `FILE: message` otherwise; usage errors are
//     `circopt CMD: message (see circopt CMD -h)`. Nothing a user supplies
//     causes a Go panic: run recovers one into "internal error", which is
//     a bug (FuzzCLIPrintEval looks for it).
//   - Flags may come before or after the positional arguments; "--" ends
//     them. FILE may be "-" for standard input.
//   - Evaluation refuses, before allocating, work whose memory estimate
//     exceeds -max-memory (default 90% of the available memory, the cgroup
//     limit or ulimit -v, whichever is smallest): a failed allocation kills
//     a Go process with no chance to report it.
//   - Outputs are named as lowering names program outputs (the root's name,
//     "output<i>" when unnamed, "#2"... for repeats) by eval, verify and opt
//     alike.
//   - Every command reads Arrays from one tensor store (-tensors DIR, else
//     $CIRCOPT_TENSORS, else the user cache's circopt/tensors), and every
//     command that prints circuits saves there, before printing, each
//     tensor it prints: printed text always reads back with its values.
//     Failing to save is a warning, never a failure.
//   - Only commands that evaluate need tensor values: an Array the store
//     lacks stays unresolved (hash and shape) until evaluation asks for it,
//     which fails before any work with a line naming the Array and hash.
//   - Progress bars go to stderr, only when it is a terminal and -q is not
//     given; stdout is the same with or without them.
package main
