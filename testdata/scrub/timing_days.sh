#!/bin/bash
# Transformer scrubs, circopt against PyTorch hooks, side by side in one
# sitting: the transformer-heads scrub (scrub BenchmarkTransformerHeads/eval
# against scrub_transformer_torch.py), one day 4b scrub (remix
# BenchmarkDay4bScrub against testdata/day4b/scrub_timing.py) and one day 3
# scrub (BenchmarkDay3Scrub against testdata/day3/scrub_timing.py), each
# given the same samples, with 1 thread each side and with 2 (circopt:
# GOMAXPROCS; PyTorch: set_num_threads and OPENBLAS/OMP_NUM_THREADS); then
# day 4a's eval and BenchmarkInterpNodes, this branch against BASE's test
# binaries when BASE names a checkout of the base commit. ROUNDS (default
# 1) repeats the side-by-side runs; ONLY (a regex over heads, day4b, day3;
# default all) picks which. Run from the repository root, offline;
# testdata/scrub/timing_days.txt keeps a run (medians: awk -f
# testdata/scrub/medians.awk).
set -euo pipefail
fix=$(mktemp -d)
trap 'rm -rf "$fix"' EXIT
(cd scrub && go test -c -o "$fix/scrub.test" .)
(cd remix && go test -c -o "$fix/remix.test" .)
(cd scrub && SCRUB_TORCH_FIXTURE=$fix "$fix/scrub.test" -test.run TestWriteTransformerFixture > /dev/null)
(cd remix && REMIX_TIMING_FIXTURE=$fix "$fix/remix.test" -test.run TestWriteScrubTimingFixture > /dev/null)
only=${ONLY:-heads|day4b|day3}
for round in $(seq "${ROUNDS:-1}"); do
for threads in 1 2; do
    uptime
    if [[ heads =~ ^($only)$ ]]; then
        (cd scrub && GOMAXPROCS=$threads "$fix/scrub.test" -test.run '^$' -test.bench 'TransformerHeads/eval$' -test.benchtime 10x -test.count 5 |
            grep '^Benchmark' | sed "s/^/threads=$threads /")
        /usr/bin/python3 testdata/scrub/scrub_transformer_torch.py "$fix" -reps 10 -threads "$threads" | tail -2 | sed "s/^/threads=$threads /"
    fi
    if [[ day4b =~ ^($only)$ ]]; then
        (cd remix && GOMAXPROCS=$threads "$fix/remix.test" -test.run '^$' -test.bench 'Day4bScrub' -test.benchtime 1x -test.count 5 |
            grep '^Benchmark' | sed "s/^/threads=$threads /")
        /usr/bin/python3 testdata/day4b/scrub_timing.py "$fix" -reps 5 -threads "$threads" | tail -2 | sed "s/^/threads=$threads /"
    fi
    if [[ day3 =~ ^($only)$ ]]; then
        (cd remix && GOMAXPROCS=$threads "$fix/remix.test" -test.run '^$' -test.bench 'Day3Scrub' -test.benchtime 2x -test.count 5 |
            grep '^Benchmark' | sed "s/^/threads=$threads /")
        /usr/bin/python3 testdata/day3/scrub_timing.py "$fix" -reps 5 -threads "$threads" | tail -2 | sed "s/^/threads=$threads /"
    fi
done
done
uptime
if [ -n "${BASE:-}" ]; then
    (cd "$BASE/scrub" && go test -c -o "$fix/scrub-base.test" .)
    for round in 1 2; do
        for v in base new; do
            t=$fix/scrub.test
            [ $v = base ] && t=$fix/scrub-base.test
            (cd scrub && GOMAXPROCS=1 "$t" -test.run '^$' -test.bench 'Day4a10kParts/eval$|InterpNodes' -test.count 3 |
                grep '^Benchmark' | sed "s/^/$v threads=1 /")
        done
    done
    uptime
fi
