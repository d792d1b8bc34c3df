#!/usr/bin/env python3
"""The REMIX day 4a causal scrub done the PyTorch way: forward hooks.

The day 4a model as a torch module, the notebook's hypothesis
(examples/day4a/hypothesis.json) as a table from interp nodes to hook
sites, and the treeified scrub done as a PyTorch user does it: each interp
node that names a module is one forward pass on its own (other-inputs)
datum, with forward hooks on its children's modules that replace their
outputs by the children's activations, and forward pre-hooks that replace
the inputs of a module along an input path; leaves on model inputs are
plain gathers. Original and random are one hooked-free forward each.

It reads the indices circopt sampled (circopt scrub -dump-samples), checks
that its numbers equal circopt's (-format json, same n and seed, float32)
to 1e-5, then times the scrub:

  eval      original + scrubbed + random losses and their summaries, from
            the given indices (what BenchmarkDay4aRun times in circopt);
  sample+eval  the same after drawing every index with torch's generator
            (vectorized agree-on draws: sort the key column once, draw an
            offset into each reference's group), what BenchmarkDay4a10k
            times in circopt.

    go run ./cmd/circopt scrub -hypothesis examples/day4a/hypothesis.json -data examples/day4a/data.npz \\
        -n 10000 -seed 5 -format json -dump-samples /tmp/s.npz examples/day4a/model.circ > /tmp/s.json
    /usr/bin/python3 testdata/scrub/scrub_torch.py examples/day4a/data.npz /tmp/s.npz /tmp/s.json -reps 200

(needs torch; run offline, not in CI). testdata/scrub/timing.sh runs it
between two runs of circopt's benchmarks; timing.txt keeps the figures.
"""
import argparse
import json
import math
import statistics
import time

from timing_util import check_agreement, pin_threads, summary  # beside this one

pin_threads()  # OpenBLAS's threads too, before torch loads it
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


class Unit(nn.Module):
    """act(w0 x0 + w1 x1 + w2 x2 + b) on xs [n, 3], summed in the circuit's order."""

    def __init__(self, w, b, act):
        super().__init__()
        self.w, self.b, self.act = w, b, act

    def forward(self, xs):
        z = xs[:, 0] * self.w[0] if self.w[0] != 1 else xs[:, 0]
        for k in (1, 2):
            z = z + (xs[:, k] * self.w[k] if self.w[k] != 1 else xs[:, k])
        if self.b:
            z = z + self.b
        return self.act(z)


class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Unit((1.0, 0.1, -0.05), -3.0, torch.sigmoid)
        self.b = Unit((-0.01, 1.0, 0.2), -3.0, torch.sigmoid)
        self.c = Unit((1.0, 1.0, 1.0), 0.0, lambda z: z)

    def forward(self, xs):
        return self.a(xs) + self.b(xs) + self.c(xs) * 0.1


class Day4a(nn.Module):
    """loss = (D(xs) - labels)^2 per example: examples/day4a/model.circ."""

    def __init__(self):
        super().__init__()
        self.d = D()
        self.y = nn.Identity()

    def forward(self, xs, labels):
        diff = self.d(xs) - self.y(labels)
        return diff * diff


# The hypothesis: node -> (parent, site). A site is ("module", path): the
# module's output; ("input", path, column): one column of the module's xs
# input; ("labels",): the labels input.
HYPOTHESIS = {
    "out": (None, ("module", "")),
    "D'": ("out", ("module", "d")),
    "A'": ("D'", ("module", "d.a")),
    "B'": ("D'", ("module", "d.b")),
    "x0'": ("A'", ("input", "d.a", 0)),
    "x1'": ("B'", ("input", "d.b", 1)),
    "y'": ("out", ("labels",)),
}
CHILDREN = {n: [c for c, (p, _) in HYPOTHESIS.items() if p == n] for n in HYPOTHESIS}


class Scrubber:
    def __init__(self, model, xs, labels):
        self.model, self.xs, self.labels = model, xs, labels

    def activation(self, node, datum, other):
        """The value node's site takes in the treeified model."""
        site = HYPOTHESIS[node][1]
        if site[0] == "input":
            return self.xs[datum[node], site[2]]
        if site[0] == "labels":
            return self.labels[datum[node]]
        # a module: one forward on the node's other-inputs datum (its datum
        # at a leaf) with its children's activations hooked in
        d = other[node] if CHILDREN[node] else datum[node]
        handles, captured = [], {}
        for ch in CHILDREN[node]:
            val = self.activation(ch, datum, other)
            cs = HYPOTHESIS[ch][1]
            if cs[0] == "module":
                m = self.model.get_submodule(cs[1])
                handles.append(m.register_forward_hook(lambda _m, _i, _o, v=val: v))
            elif cs[0] == "input":
                m = self.model.get_submodule(cs[1])

                def pre(_m, inp, v=val, col=cs[2]):
                    x = inp[0].clone()
                    x[:, col] = v
                    return (x,)

                handles.append(m.register_forward_pre_hook(pre))
            else:
                captured["labels"] = val
        target = self.model.get_submodule(site[1])
        handles.append(target.register_forward_hook(lambda _m, _i, out: captured.__setitem__("out", out)))
        try:
            self.model(self.xs[d], captured.get("labels", self.labels[d]))
        finally:
            for h in handles:
                h.remove()
        return captured["out"]

    def run(self, ref, datum, other, random):
        with torch.no_grad():
            original = self.model(self.xs[ref], self.labels[ref])
            scrubbed = self.activation("out", datum, other)
            rand = self.model(self.xs[random["xs"]], self.labels[random["labels"]])
        o, s, r = summary(original), summary(scrubbed), summary(rand)
        return {"original": o, "scrubbed": s, "random": r,
                "loss_recovered": (r["mean"] - s["mean"]) / (r["mean"] - o["mean"])}


class Sampler:
    """Draws the hypothesis's indices with torch's generator, vectorized."""

    FEATURE = {"out": "or_agrees_with_label", "D'": "x0_or_x1_gt_3", "A'": "x0_gt_3",
               "B'": "x1_gt_3", "x0'": "x0", "x1'": "x1", "y'": "labels"}

    def __init__(self, data, gen):
        self.gen, self.n = gen, len(data["labels"])
        self.groups = {}
        for node, col in self.FEATURE.items():
            key = torch.from_numpy(np.unique(data[col], return_inverse=True)[1].astype(np.int64))
            order = torch.argsort(key, stable=True)
            counts = torch.bincount(key)
            starts = torch.cumsum(counts, 0) - counts
            self.groups[node] = (key, order, counts, starts)

    def uniform(self, n):
        return torch.randint(self.n, (n,), generator=self.gen)

    def agree(self, node, ref):
        key, order, counts, starts = self.groups[node]
        g = key[ref]
        off = (torch.rand(ref.shape[0], generator=self.gen) * counts[g]).long()
        return order[starts[g] + off]

    def sample(self, n):
        ref = self.uniform(n)
        random = {"xs": self.uniform(n), "labels": self.uniform(n)}
        datum, other = {"out": ref}, {}
        for node, (parent, _) in HYPOTHESIS.items():
            if parent is not None:
                datum[node] = self.agree(node, datum[parent])
            if CHILDREN[node]:
                other[node] = self.uniform(n)
        return ref, datum, other, random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("samples")
    ap.add_argument("circopt_json")
    ap.add_argument("-reps", type=int, default=100)
    ap.add_argument("-threads", type=int, default=1,
                    help="torch threads (1: on a loaded machine 2 threads spin waiting for each other)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = np.load(args.data)
    s = np.load(args.samples)
    xs = torch.from_numpy(data["xs"].astype(np.float32))
    labels = torch.from_numpy(data["labels"].astype(np.float32))
    model = Day4a()
    sc = Scrubber(model, xs, labels)

    t = lambda k: torch.from_numpy(s[k])
    ref = t("ref")
    datum = {k[6:]: t(k) for k in s.files if k.startswith("datum/")}
    other = {k[6:]: t(k) for k in s.files if k.startswith("other/")}
    random = {k[7:]: t(k) for k in s.files if k.startswith("random/")}
    got = sc.run(ref, datum, other, random)
    with open(args.circopt_json) as f:
        want = json.load(f)
    check_agreement(got, want, len(ref), 1e-5)

    sampler = Sampler(data, torch.Generator().manual_seed(0))
    n = len(ref)
    evals, full = [], []
    c0 = time.process_time()
    for _ in range(args.reps):
        t0 = time.perf_counter()
        sc.run(ref, datum, other, random)
        evals.append(time.perf_counter() - t0)
    c1 = time.process_time()
    for _ in range(args.reps):
        t0 = time.perf_counter()
        sc.run(*sampler.sample(n))
        full.append(time.perf_counter() - t0)
    c2 = time.process_time()
    ms = lambda v: statistics.median(v) * 1e3
    print(f"scrub_torch eval median {ms(evals):.3f} ms/op ({(c1 - c0) / args.reps * 1e3:.3f} cpu-ms/op)  "
          f"sample+eval median {ms(full):.3f} ms/op ({(c2 - c1) / args.reps * 1e3:.3f} cpu-ms/op)  reps {args.reps}")


if __name__ == "__main__":
    main()
