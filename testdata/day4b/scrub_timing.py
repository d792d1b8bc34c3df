#!/usr/bin/env python3
"""Times one day 4b scrub in PyTorch given circopt's samples, against
remix's BenchmarkDay4bScrub (hypothesis 4.json, n 1000, seed 1).

The scrub is scrub_torch.py's (every interp node that needs its own datum
gets its own forward pass on that datum, up to the layer its path reads;
the 42 per-position draws of head 2.1 are 42 passes), plus the original
(the reference) and random (each input its own random datum) forwards that
circopt's Experiment.Run also computes. float32, torch.no_grad, threads
pinned (torch.set_num_threads and OPENBLAS/OMP_NUM_THREADS). It first
checks its means and standard errors against circopt's result on the same
samples, then prints the median of -reps timed scrubs:

    mkdir -p /tmp/fix && REMIX_TIMING_FIXTURE=/tmp/fix go test ./remix -run TestWriteScrubTimingFixture
    /usr/bin/python3 testdata/day4b/scrub_timing.py /tmp/fix -reps 5 -threads 1

(offline, not in CI; testdata/scrub/timing_days.txt keeps the figures.)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scrub"))
from timing_util import pin_threads, summary, timing_main  # noqa: E402

pin_threads()
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, HERE)
import scrub_torch as st  # noqa: E402


def idx(v):
    return torch.as_tensor(v, dtype=torch.long)


def scrub(M, S):
    with torch.no_grad():
        def whole(tokens, labels):
            return M.loss(M.final_logits(sum(M.run(M.T(tokens)).values())), M.labels[idx(labels)])

        orig = whole(S["ref"], S["ref"])
        scrubbed = st.scrubbed_loss(M, S)
        rand = whole(S["random/tokens"], S["random/is_balanced"])
    o, s, r = summary(orig), summary(scrubbed), summary(rand)
    return {"original": o, "scrubbed": s, "random": r,
            "loss_recovered": (r["mean"] - s["mean"]) / (r["mean"] - o["mean"])}


def main():
    def build(args):
        M = st.Model(st.load_safetensors(args.weights), dict(np.load(args.data)))
        S = dict(np.load(os.path.join(args.dir, "day4b.npz")))
        return lambda: scrub(M, S), len(S["ref"])

    timing_main("day4b_torch", "day4b", build, [("-weights", "examples/day4b/model.circ"), ("-data", "examples/day4b/dataset.npz")])

if __name__ == "__main__":
    main()
