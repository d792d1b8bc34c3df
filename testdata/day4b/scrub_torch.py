"""Day 4b's causal scrubs in PyTorch, on circopt's sampled indices.

For each experiment, reads the index vectors circopt drew (SAMPLES/<exp>.npz,
written by `circopt scrub -dump-samples` or the remix test's -update-day4b)
and recomputes every per-example scrubbed loss by assembling the model's
paths by hand, as the day's treeified circuits compute them. Offline only:

    /usr/bin/python3 testdata/day4b/scrub_torch.py --samples testdata/day4b/samples \
        --out testdata/day4b/torch_scrub.json
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "training", "parens"))
from make_dataset import load_safetensors  # noqa: E402
from train import CLOSE, OPEN, PAD  # noqa: E402

SEQ, HEAD_DIM = 42, 28


class Model:
    def __init__(self, weights, ds):
        self.w = {k: torch.tensor(v, dtype=torch.float32) for k, v in weights.items()}
        self.onehot = torch.tensor(ds["tokens"], dtype=torch.float32)
        self.labels = torch.tensor(ds["is_balanced"], dtype=torch.float32)
        self.dir = self.open_vector()

    def T(self, idx):
        return self.onehot[torch.as_tensor(idx, dtype=torch.long)]

    def ln(self, x, p):
        m = x - x.mean(-1, keepdim=True)
        return m * torch.rsqrt((m * m).mean(-1, keepdim=True) + 1e-5) * self.w[p + ".ln.w.scale"] + self.w[p + ".ln.w.bias"]

    def open_vector(self):
        """The day's get_h00_open_vector."""
        w = self.w

        def through(t):
            x = self.ln(w["t.w.tok_embeds"][t] + w["t.w.pos_embeds"][1:41], "a0")
            v = x @ w["a0.w.v"][0].T + w["a0.w.v_bias"][0]
            return v @ w["a0.w.o"][0].T

        return (through(OPEN).mean(0) - through(CLOSE).mean(0)) / 2

    def emb(self, T):
        return T @ self.w["t.w.tok_embeds"] + self.w["t.w.pos_embeds"][:SEQ]

    @staticmethod
    def mask(T):
        return 1 - T[:, :, PAD]

    def phi(self, T):
        opens, closes = T[:, :, OPEN].sum(1), T[:, :, CLOSE].sum(1)
        return self.dir[None] * (2 * opens * (1 / (opens + closes)) - 1)[:, None]

    def head(self, l, h, x, mask):
        w, a = self.w, f"a{l}"
        xn = self.ln(x, a)
        q = xn @ w[a + ".w.q"][h].T + w[a + ".w.q_bias"][h]
        k = xn @ w[a + ".w.k"][h].T + w[a + ".w.k_bias"][h]
        v = xn @ w[a + ".w.v"][h].T + w[a + ".w.v_bias"][h]
        m = mask[:, None, :]
        scores = (q @ k.transpose(1, 2)) * (1 / math.sqrt(HEAD_DIM)) * m + (1 - m) * -10000.0
        return (scores.softmax(-1) @ v) @ w[a + ".w.o"][h].T

    def mlp(self, l, x):
        w, m = self.w, f"m{l}"
        pre = self.ln(x, m) @ w[m + ".w.proj_in"].T + w[m + ".w.in_bias"]
        return torch.relu(pre) @ w[m + ".w.proj_out"].T + w[m + ".w.out_bias"]

    def run(self, T, emb=None, a00=None, mask=None, upto=3):
        """The residual stream's terms on tokens T. emb, a00 (head 0.0's
        output) and mask, when given, replace what T would give."""
        e = self.emb(T) if emb is None else emb
        m = self.mask(T) if mask is None else mask
        terms = {"embeds": e}
        for l in range(upto):
            x = sum(terms.values())
            terms[f"a{l}.input"] = x
            for h in range(2):
                if l == 0 and h == 0:
                    terms["a0.h0"] = self.head(0, 0, self.emb(T), self.mask(T)) if a00 is None else a00
                else:
                    terms[f"a{l}.h{h}"] = self.head(l, h, x, m)
            terms[f"a{l}.bias"] = self.w[f"a{l}.w.o_bias"].expand_as(e)
            terms[f"m{l}"] = self.mlp(l, sum(v for k, v in terms.items() if not k.endswith(".input")))
            del terms[f"a{l}.input"]
        return terms

    def layer_input(self, terms, l):
        """'a{l}.input': every term of the layers before l."""
        keep = ["embeds"] + [f"{p}{j}{s}" for j in range(l) for p, s in (("a", ".h0"), ("a", ".h1"), ("a", ".bias"), ("m", ""))]
        return sum(terms[k] for k in keep)

    def final_logits(self, resid):
        x = self.ln(resid[:, 0], "final")
        return x @ self.w["t.w.unembed"].T + self.w["t.w.unembed_bias"]

    def loss(self, logits, y):
        target = torch.stack([1 - y, y], -1)
        return -(logits.log_softmax(-1) * target).sum(-1)


def has(S, key):
    return key in S


def a00_at_p1(M, S, x, other):
    """Head 0.0's output with row 1 from its interp node (2a: a datum; 2b:
    phi on one datum plus the residual on another) and the other rows from
    `other`'s datum."""
    full = M.run(M.T(S[other]), upto=1)["a0.h0"].clone()
    n00 = x + "_00"
    if has(S, "datum/" + n00 + "_phi"):
        o = M.T(S["other/" + n00])
        row = M.phi(M.T(S["datum/" + n00 + "_phi"])) + (M.run(o, upto=1)["a0.h0"][:, 1] - M.phi(o))
    else:
        row = M.run(M.T(S["datum/" + n00]), upto=1)["a0.h0"][:, 1]
    full[:, 1] = row
    return full


def input_row1(M, S, l, x):
    """Row 1 of 'a{l}.input' under interp node x (e.g. '10_p1')."""
    if not has(S, "other/" + x):  # a leaf: everything from its datum
        return M.layer_input(M.run(M.T(S["datum/" + x]), upto=l), l)[:, 1]
    o = M.T(S["other/" + x])
    emb = M.emb(M.T(S["datum/" + x + "_emb"]))
    terms = M.run(o, emb=emb, a00=a00_at_p1(M, S, x, "other/" + x), mask=M.mask(o), upto=l)
    return M.layer_input(terms, l)[:, 1]


def direct_head(M, S, l, h, name):
    """Head l.h's direct contribution under interp node name."""
    if not has(S, "other/" + name):
        return M.run(M.T(S["datum/" + name]))[f"a{l}.h{h}"]
    if name == "21":
        rows = [M.layer_input(M.run(M.T(S[f"datum/21_p{i}"]), upto=2), 2)[:, i] for i in range(SEQ)]
        return M.head(2, 1, torch.stack(rows, 1), M.mask(M.T(S["datum/pos_mask"])))
    o = M.T(S["other/" + name])
    x = M.layer_input(M.run(o, upto=l), l).clone()
    x[:, 1] = input_row1(M, S, l, name + "_p1")
    return M.head(l, h, x, M.mask(o))


def scrubbed_loss(M, S):
    y = M.labels[torch.as_tensor(S["datum/label"], dtype=torch.long)]
    if not has(S, "other/logits"):
        resid = sum(M.run(M.T(S["datum/logits"])).values())
    else:
        terms = M.run(M.T(S["other/logits"]))
        terms["a1.h0"] = direct_head(M, S, 1, 0, "10")
        terms["a2.h0"] = direct_head(M, S, 2, 0, "20")
        terms["a2.h1"] = direct_head(M, S, 2, 1, "21")
        resid = sum(terms.values())
    return M.loss(M.final_logits(resid), y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="examples/day4b/model.circ", help="the shipped model (store beside it) or a weights.safetensors")
    ap.add_argument("--data", default="examples/day4b/dataset.npz")
    ap.add_argument("--samples", default="testdata/day4b/samples")
    ap.add_argument("--out", default="testdata/day4b/torch_scrub.json")
    ap.add_argument("--values", action="store_true", help="also write per-example losses")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))  # walltime.sh sets it
    start = time.time()
    M = Model(load_safetensors(args.weights), dict(np.load(args.data)))
    out = {}
    with torch.no_grad():
        for f in sorted(os.listdir(args.samples)):
            if not f.endswith(".npz"):
                continue
            S = dict(np.load(os.path.join(args.samples, f)))
            t0 = time.time()
            loss = scrubbed_loss(M, S)
            r = {"n": len(loss), "mean": loss.mean().item(), "stderr": (loss.std() / math.sqrt(len(loss))).item(), "seconds": time.time() - t0}
            if args.values:
                r["values"] = loss.tolist()
            out[f[:-4]] = r
            print(f[:-4], {k: v for k, v in r.items() if k != "values"}, flush=True)
    with open(args.out, "w") as f:
        json.dump({"seconds": time.time() - start, "experiments": out}, f, indent=1)


if __name__ == "__main__":
    main()
