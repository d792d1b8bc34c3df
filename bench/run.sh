#!/bin/sh
# Runs circopt's benchmark suite and prints one table (medians of repeated
# runs, naive and optimized measured side by side in one process), then
# GEMM efficiency against gonum's own Sgemm. Where a python3 with numpy is
# installed (Debian: apt-get install python3-numpy libopenblas0-pthread),
# the same computations are timed in numpy and the ratio numpy/optimized is
# printed too. Takes about a minute on 2 cores; pass -quick for a smoke run.
#
#   sh bench/run.sh            full table
#   sh bench/run.sh -quick     small cases, few repetitions
#   go test ./bench -bench .   the Go benchmarks
set -eu
cd "$(dirname "$0")/.."
exec go run ./bench/cmd/benchtable -dir bench "$@"
