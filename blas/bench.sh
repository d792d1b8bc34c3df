#!/usr/bin/env bash
# Reproduces circopt's GEMM figures: GFLOP/s of every backend at
# 512, 1024 and 2048, float32 and float64. The targets of one invocation
# alternate (-count runs the whole list again), so load from other
# processes hits them alike; compare ratios within a run, not across runs.
#
#   blas/bench.sh            # gonum, simd, simd-avx2
#   blas/bench.sh openblas   # plus openblas (through blas.Use) and netlib
#                            # (direct), with OPENBLAS_CORETYPE as set and
#                            # then unset (OpenBLAS reads it at load time,
#                            # so each setting needs its own process)
set -euo pipefail
cd "$(dirname "$0")/.."
args=(-run '^$' -bench 'gemm$' -benchtime=3x -count=3 ./blas)
if [[ "${1:-}" == openblas ]]; then
	echo "== OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset>}"
	go test -tags openblas "${args[@]}"
	if [[ -n "${OPENBLAS_CORETYPE+x}" ]]; then
		echo "== OPENBLAS_CORETYPE unset"
		env -u OPENBLAS_CORETYPE go test -tags openblas "${args[@]}"
	fi
else
	go test "${args[@]}"
fi
