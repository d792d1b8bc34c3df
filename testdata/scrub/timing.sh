#!/bin/bash
# Day 4a, 10,000 samples: circopt's scrub (scrub/bench_test.go) and the
# PyTorch-hooks scrub (scrub_torch.py) in one sitting, each with 1 thread
# and with 2 (circopt: GOMAXPROCS; torch: set_num_threads), in the order
# circopt, PyTorch, circopt, PyTorch. Run from the repository root; needs
# /usr/bin/python3 with torch. Output goes to stdout (testdata/scrub/timing.txt
# keeps a run); testdata/scrub/medians.awk summarizes it.
set -euo pipefail
go build -o /tmp/circopt-timing ./cmd/circopt
go test -c -o /tmp/scrub-timing.test ./scrub
/tmp/circopt-timing scrub -hypothesis examples/day4a/hypothesis.json -data examples/day4a/data.npz \
    -n 10000 -seed 5 -format json -dump-samples /tmp/scrub-timing.npz examples/day4a/model.circ > /tmp/scrub-timing.json
gobench() {
    (cd scrub && GOMAXPROCS=$1 /tmp/scrub-timing.test -test.run '^$' -test.bench 'Day4a10k' -test.count 5 |
        grep '^Benchmark' | sed "s/^/threads=$1 /")
}
torchbench() {
    /usr/bin/python3 testdata/scrub/scrub_torch.py examples/day4a/data.npz /tmp/scrub-timing.npz /tmp/scrub-timing.json \
        -reps 300 -threads "$1" | sed "s/^/threads=$1 /"
}
for round in 1 2; do
    uptime
    gobench 1
    gobench 2
    uptime
    torchbench 1
    torchbench 2
done
uptime
