#!/usr/bin/env python3
"""A heads-as-interp-nodes scrub of a small transformer, the PyTorch way.

The model and hypothesis of circopt's BenchmarkTransformerHeads
(scrub/bench_test.go): a random 2-layer, 4-head GPT-2 (hidden 64, 8
positions, 32 words) whose input is the embedded sequence and whose output
is the cross-entropy of the last position against a one-hot target; each
head of the last layer is an interp node that agrees with the reference on
one token (head h on token h), the rest of the model and the target kept
(exact other inputs). Scrubbed with forward hooks as a PyTorch user does: one
forward pass per head on its own datum capturing the head's output, then
one forward on the reference with hooks putting those outputs in place;
original and random are one forward each.

It reads the weights, data, circopt's draws and circopt's result from the
directory TestWriteTransformerFixture writes, checks that its numbers match,
then times the scrub given the draws (what BenchmarkTransformerHeads/eval
times):

    mkdir -p /tmp/tfix && SCRUB_TORCH_FIXTURE=/tmp/tfix go test ./scrub -run TestWriteTransformerFixture
    /usr/bin/python3 testdata/scrub/scrub_transformer_torch.py /tmp/tfix -reps 20 -threads 1

(needs torch; run offline, not in CI; timing.txt keeps the figures.)
"""
import argparse
import json
import math

from timing_util import check_agreement, pin_threads, summary, time_reps  # beside this one

pin_threads()  # OpenBLAS's threads too, before torch loads it
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


class Model(nn.Module):
    def __init__(self, w, layers, heads):
        super().__init__()
        self.w = {k: torch.from_numpy(v.astype(np.float32)) for k, v in w.items()}
        self.layers, self.heads = layers, heads
        # one hook point per head of every layer: 'a{l}.h{i}'
        self.hook = nn.ModuleDict({f"a{l}_h{i}": nn.Identity() for l in range(layers) for i in range(heads)})

    def ln(self, p, x):
        mu = x.mean(-1, keepdim=True)
        c = x - mu
        var = (c * c).mean(-1, keepdim=True)
        return c * torch.rsqrt(var + 1e-5) * self.w[p + ".w.scale"] + self.w[p + ".w.bias"]

    def forward(self, embeds, target):
        w, seq = self.w, embeds.shape[1]
        hd = w["a0.w.q"].shape[1]
        mask = torch.full((seq, seq), -1e9).triu(1)
        x = embeds
        for l in range(self.layers):
            a = f"a{l}"
            y = self.ln(a + ".ln", x)
            q = torch.einsum("hjd,nsd->nhsj", w[a + ".w.q"], y) + w[a + ".w.q_bias"][:, None]
            k = torch.einsum("hjd,nsd->nhsj", w[a + ".w.k"], y) + w[a + ".w.k_bias"][:, None]
            v = torch.einsum("hjd,nsd->nhsj", w[a + ".w.v"], y) + w[a + ".w.v_bias"][:, None]
            p = torch.softmax(torch.einsum("nhsj,nhtj->nhst", q, k) / math.sqrt(hd) + mask, -1)
            out = torch.einsum("hej,nhsj->nhse", w[a + ".w.o"], torch.einsum("nhst,nhtj->nhsj", p, v))
            heads = [self.hook[f"a{l}_h{i}"](out[:, i]) for i in range(self.heads)]
            x = x + sum(heads) + w[a + ".w.o_bias"]
            m = f"m{l}"
            y = self.ln(m + ".ln", x)
            act = torch.nn.functional.gelu(y @ w[m + ".w.proj_in"].T + w[m + ".w.in_bias"], approximate="tanh")
            x = x + act @ w[m + ".w.proj_out"].T + w[m + ".w.out_bias"]
        logits = self.ln("final.ln", x[:, -1]) @ w["t.w.unembed"].T
        return -(torch.log_softmax(logits, -1) * target).sum(-1)


def scrub(model, embeds, target, s, layer, heads):
    ref = s["ref"]
    with torch.no_grad():
        original = model(embeds[ref], target[ref])
        # each head's interp node: a forward on its datum, keeping the head's output
        outs = {}
        for i in range(heads):
            d = s[f"datum/a{layer}.h{i}'"]
            keep = {}
            h = model.hook[f"a{layer}_h{i}"].register_forward_hook(lambda _m, _i, o, keep=keep: keep.__setitem__("o", o))
            try:
                model(embeds[d], target[d])
            finally:
                h.remove()
            outs[i] = keep["o"]
        # the root: the reference (exact other inputs) with the heads patched in
        hs = [model.hook[f"a{layer}_h{i}"].register_forward_hook(lambda _m, _i, _o, v=outs[i]: v) for i in range(heads)]
        try:
            d = s["other/out"]
            scrubbed = model(embeds[d], target[s["datum/y'"]])
        finally:
            for h in hs:
                h.remove()
        rand = model(embeds[s["random/embeds"]], target[s["random/target"]])
    o, sc, r = summary(original), summary(scrubbed), summary(rand)
    return {"original": o, "scrubbed": sc, "random": r,
            "loss_recovered": (r["mean"] - sc["mean"]) / (r["mean"] - o["mean"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("-reps", type=int, default=20)
    ap.add_argument("-threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    w = dict(np.load(f"{args.dir}/model.npz"))
    d = np.load(f"{args.dir}/data.npz")
    s = {k: torch.from_numpy(v) for k, v in np.load(f"{args.dir}/samples.npz").items()}
    with open(f"{args.dir}/circopt.json") as f:
        want = json.load(f)
    layers = 1 + max(int(k[1:k.index(".")]) for k in w if k.startswith("a"))
    heads = w["a0.w.q"].shape[0]
    model = Model(w, layers, heads)
    embeds = torch.from_numpy(d["embeds"].astype(np.float32))
    target = torch.from_numpy(d["target"].astype(np.float32))
    got = scrub(model, embeds, target, s, layers - 1, heads)
    # loss_recovered divides by random - original, small here: 1e-4
    check_agreement(got, want, len(s["ref"]), 1e-4)
    wall, cpu = time_reps(lambda: scrub(model, embeds, target, s, layers - 1, heads), args.reps)
    print(f"scrub_transformer_torch eval median {wall * 1e3:.2f} ms/op ({cpu * 1e3:.2f} cpu-ms/op)  reps {args.reps} threads {args.threads}")

if __name__ == "__main__":
    main()
