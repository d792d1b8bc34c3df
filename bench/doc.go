// Package bench is circopt's benchmark suite: its workloads
// (MLP block, attention block, einsum chains, a batched contraction, wide
// adds with shared subtrees, a 30-variant ablation sweep) built as circuits,
// each timed with the naive evaluator (circuit.Evaluate, once per circuit)
// and with the compiled plan (circopt.Compile, then Plan.Run), plus GEMM
// efficiency against gonum's own Sgemm. bench_test.go holds the Go
// benchmarks; cmd/benchtable prints the table (run.sh runs it), timing the
// same computations in numpy when python3 with numpy is available.
//
// Every case is float32 and seeded, so runs are reproducible; figures are
// medians of repeated runs measured side by side in one process.
//
// Invariants: Measure checks the optimized outputs against the naive ones
// (MaxAbsErr) on every run of the table, and the quick suite runs as a test
// (TestQuickSuite) so `go test ./...` stays fast; the full table only runs
// through run.sh or the Go benchmarks.
package bench
