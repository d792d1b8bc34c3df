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
package main
