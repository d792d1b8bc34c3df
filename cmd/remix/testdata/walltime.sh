#!/bin/bash
# Wall time of `remix -day 4b` and `remix -day 3` against the PyTorch
# scripts computing the same scrubs on the same sampled indices, side by
# side and alternating. THREADS=1 (the default) pins both sides to one
# thread: GOMAXPROCS=1 for circopt; torch.set_num_threads(1) and
# OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=1 for PyTorch, whose OpenBLAS
# otherwise starts workers of its own. THREADS=2 gives both sides two.
# Offline, from the repository's root:
#
#   THREADS=1|2 cmd/remix/testdata/walltime.sh [RUNS] > times.csv
#
# Prints "what,wall_s,user_s,sys_s,loadavg1" per run.
set -euo pipefail
runs=${1:-5}
threads=${THREADS:-1}
export TORCH_THREADS=$threads OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/remix" ./cmd/remix
"$tmp/remix" -day 4b -dump-samples "$tmp/s4b" > /dev/null
"$tmp/remix" -day 3 -dump-samples "$tmp/s3.npz" > /dev/null
t() {
	local what=$1
	shift
	/usr/bin/time -f %e,%U,%S -o "$tmp/t" "$@" > /dev/null
	echo "$what,$(cat "$tmp/t"),$(cut -d' ' -f1 /proc/loadavg)"
}
for _ in $(seq "$runs"); do
	GOMAXPROCS=$threads t circopt_day4b "$tmp/remix" -day 4b
	t torch_day4b /usr/bin/python3 testdata/day4b/scrub_torch.py \
		--weights examples/day4b/model.circ --samples "$tmp/s4b" --out "$tmp/torch4b.json"
done
for _ in $(seq "$runs"); do
	GOMAXPROCS=$threads t circopt_day3 "$tmp/remix" -day 3
	t torch_day3 /usr/bin/python3 testdata/day3/scrub_torch.py "$tmp/s3.npz" float32
done
