#!/bin/bash
# Day 4a, 10,000 samples: circopt's scrub, then the PyTorch-hooks scrub
# (scrub_torch.py), then circopt again, in one sitting. Run from the
# repository root; needs /usr/bin/python3 with torch. Output goes to stdout
# (testdata/scrub/timing.txt keeps a run).
set -euo pipefail
go build -o /tmp/circopt-timing ./cmd/circopt
go test -c -o /tmp/scrub-timing.test ./scrub
/tmp/circopt-timing scrub -hypothesis examples/day4a/hypothesis.json -data examples/day4a/data.npz \
    -n 10000 -seed 5 -format json -dump-samples /tmp/scrub-timing.npz examples/day4a/model.circ > /tmp/scrub-timing.json
gobench() { (cd scrub && /tmp/scrub-timing.test -test.run '^$' -test.bench 'Day4a10k' -test.count 5 | grep '^Benchmark'); }
uptime
gobench
uptime
/usr/bin/python3 testdata/scrub/scrub_torch.py examples/day4a/data.npz /tmp/scrub-timing.npz /tmp/scrub-timing.json -reps 300
uptime
gobench
uptime
