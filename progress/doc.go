// Package progress reports how far a long run has got: a bar with counts
// and an ETA on a terminal, nothing otherwise.
//
// Invariants:
//   - A Reporter never writes to stdout and never fails the run: progress
//     is decoration, so its write errors are dropped.
//   - Terminal decides once, at creation, whether output is shown: only
//     when the writer is a terminal and the caller is not asked to be quiet,
//     so piped or captured runs (tests, scripts) see nothing.
//   - Nop is the zero-cost Reporter; a nil Reporter is never passed around.
package progress
