#!/usr/bin/env python3
"""Times one day 3 scrub in PyTorch given circopt's samples, against
remix's BenchmarkDay3Scrub (all_paths.json, n 2000, seed 0).

The scrub is scrub_torch.py's "qkv" experiment (value, query and key paths
from one random datum): layer 0 run on the datum and on the reference, the
induction heads' q/k/v inputs assembled from them, layer 1 and the unembed
on the reference; plus the original (the reference) and random (each input
array its own random datum) forwards that circopt's Experiment.Run also
computes, all per example. float32, torch.no_grad, threads pinned
(torch.set_num_threads and OPENBLAS/OMP_NUM_THREADS). It first checks its
means and standard errors against circopt's result on the same samples,
then prints the median of -reps timed scrubs:

    mkdir -p /tmp/fix && REMIX_TIMING_FIXTURE=/tmp/fix go test ./remix -run TestWriteScrubTimingFixture
    /usr/bin/python3 testdata/day3/scrub_timing.py /tmp/fix -reps 5 -threads 1

(offline, not in CI; testdata/scrub/timing_days.txt keeps the figures.)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "scrub"))
from timing_util import pin_threads, summary, timing_main  # noqa: E402

pin_threads()
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "training", "induction"))
import export  # noqa: E402
import train  # noqa: E402

PREV, IND = [1, 2], list(range(8))  # remix.Day3TrainedHeads


class Scrub:
    def __init__(self, S):
        self.w = export.load_weights(torch.float32)
        data = np.load(os.path.join(ROOT, "examples", "day3", "data.npz"))
        self.ids = torch.from_numpy(data["toks"]).long()
        self.rep = torch.from_numpy(data["repeated"]).float()
        self.S = {k: torch.from_numpy(v).long() for k, v in S.items()}
        self.pos = self.w["t.w.pos_embeds"][:train.SEQ]
        self.mask = train.causal_mask(train.SEQ, torch.float32)

    def loss(self, logits, toks, rep):
        """Per-example mean next-token loss over the repeated tokens."""
        nll = train.nll(logits, self.ids[toks, 1:])
        r = self.rep[rep]
        return (nll * r).sum(1) / r.sum(1)

    def head_out(self, x):
        x = train.layer_norm(x, self.w["final.ln.w.scale"], self.w["final.ln.w.bias"])
        return torch.einsum("bsd,vd->bsv", x, self.w["t.w.unembed"])

    def a0(self, x, heads=None):
        return train.attn(self.w, 0, x, self.pos, self.mask, heads=heads)[0]

    def __call__(self):
        w, S = self.w, self.S
        ref, d = S["ref"], S["datum/qkv"]
        not_prev = [h for h in range(train.HEADS) if h not in PREV]
        not_ind = [h for h in range(train.HEADS) if h not in IND]
        with torch.no_grad():
            orig = self.loss(train.forward(w, self.ids[ref, :-1]), ref, ref)
            xr, xd = w["t.w.tok_embeds"][self.ids[ref, :-1]], w["t.w.tok_embeds"][self.ids[d, :-1]]
            r1 = xr + self.a0(xr)
            rest = r1 + train.attn(w, 1, r1, self.pos, self.mask, heads=not_ind)[0]
            mixed = xr + self.a0(xd)  # embeddings from the reference, a0 from the datum
            k_mixed = xd + self.a0(xr, PREV) + self.a0(xd, not_prev)
            out = train.attn(w, 1, r1, self.pos, self.mask, q_in=mixed, k_in=k_mixed, v_in=mixed, heads=IND)[0]
            scrubbed = self.loss(self.head_out(rest + out), ref, ref)
            rt, rr = S["random/toks"], S["random/repeated"]
            rand = self.loss(train.forward(w, self.ids[rt, :-1]), rt, rr)
        o, s, r = summary(orig), summary(scrubbed), summary(rand)
        return {"original": o, "scrubbed": s, "random": r,
                "loss_recovered": (r["mean"] - s["mean"]) / (r["mean"] - o["mean"])}


def main():
    def build(args):
        scrub = Scrub(dict(np.load(os.path.join(args.dir, "day3.npz"))))
        return scrub, len(scrub.S["ref"])

    timing_main("day3_torch", "day3", build)

if __name__ == "__main__":
    main()
