#!/usr/bin/env python3
"""Causal scrubbing of the REMIX day 4a model, in numpy, outside circopt.

Reads the dataset and the indices circopt sampled (circopt scrub
-dump-samples) and recomputes original, scrubbed and random losses for the
notebook's hypothesis (examples/day4a/hypothesis.json) by hand: which datum
each input occurrence takes is worked out here from the hypothesis, not read
from circopt's slot table. It also checks that every sampled datum agrees
with its parent's on the node's feature.

    circopt scrub -hypothesis examples/day4a/hypothesis.json -data examples/day4a/data.npz \
        -n 500 -seed 7 -dtype float64 -dump-samples testdata/scrub/samples.npz examples/day4a/model.circ
    python3 testdata/scrub/oracle.py examples/day4a/data.npz testdata/scrub/samples.npz > testdata/scrub/oracle.json

(needs numpy; run offline, not in CI). TestScrubMatchesNumpyOracle in
cmd/circopt checks circopt against oracle.json and that the draws for seed 7
still equal samples.npz.
"""
import json
import sys

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def stats(v):
    return {"mean": float(v.mean()), "stderr": float(v.std(ddof=1) / np.sqrt(len(v)))}


def main(data_path, samples_path):
    d = np.load(data_path)
    s = np.load(samples_path)
    xs = d["xs"].astype(np.float64)
    labels = d["labels"].astype(np.float64)
    datum = lambda n: s["datum/" + n]
    other = lambda n: s["other/" + n]
    ref = s["ref"]

    # the hypothesis: out -> D' (x0>3 or x1>3) -> A' (x0>3) -> x0' (x0)
    #                                          -> B' (x1>3) -> x1' (x1)
    #                     -> y' (label)
    parent_feature = [
        ("D'", "out", "x0_or_x1_gt_3"), ("A'", "D'", "x0_gt_3"), ("B'", "D'", "x1_gt_3"),
        ("x0'", "A'", "x0"), ("x1'", "B'", "x1"), ("y'", "out", "labels"),
    ]
    for node, parent, col in parent_feature:
        assert (d[col][datum(node)] == d[col][datum(parent)]).all(), (node, col)
    assert (datum("out") == ref).all()

    def loss(a0, a12, b1, b02, c, y):
        """Each argument is the datum one group of input occurrences takes."""
        A = sigmoid(xs[a0, 0] + 0.1 * xs[a12, 1] - 0.05 * xs[a12, 2] - 3)
        B = sigmoid(-0.01 * xs[b02, 0] + xs[b1, 1] + 0.2 * xs[b02, 2] - 3)
        C = xs[c, 0] + xs[c, 1] + xs[c, 2]
        diff = A + B + 0.1 * C - labels[y]
        return diff * diff

    original = loss(ref, ref, ref, ref, ref, ref)
    # x0 into A takes x0's datum; A's other inputs take A's other datum;
    # likewise for B; C (under D, claimed by no child of D) takes D's
    # other datum; labels take y's datum.
    scrubbed = loss(datum("x0'"), other("A'"), datum("x1'"), other("B'"), other("D'"), datum("y'"))
    rx, rl = s["random/xs"], s["random/labels"]
    random = loss(rx, rx, rx, rx, rx, rl)
    o, sc, r = stats(original), stats(scrubbed), stats(random)
    out = {"n": int(len(ref)), "original": o, "scrubbed": sc, "random": r,
           "loss_recovered": (r["mean"] - sc["mean"]) / (r["mean"] - o["mean"])}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main(*sys.argv[1:3])
