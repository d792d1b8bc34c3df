#!/usr/bin/python3
"""PyTorch side of circopt's ACDC benchmark (bench/acdc_test.go, BenchmarkACDC).

The same loop as circopt's acdc.Run on a model of the same shape (2 layers,
hidden 256, 8 heads, vocab 2048, GPT-2 initialisation: normal std 0.02,
layer norms 1 and 0; 16 tokens; KL metric at the last position, threshold
1e-4): components embed, a{l}.h{i}, m{l}, logits; each receiver's input is
the clean residual minus, for each removed edge, (sender's clean output -
sender's corrupt output), done with forward hooks on hook points as
TransformerLens-based ACDC does. Receivers run from the output backwards, a
layer's heads in one step; each candidate removal is one forward pass (hooks
cannot batch variants), judged against the step's current circuit, as in Go.
CPU, torch.set_num_threads(-threads, 2 by default), float32; prints
evaluations per second of wall time and of process CPU time (all threads;
steadier on a shared machine), medians over reps.

    /usr/bin/python3 testdata/acdc/acdc_torch.py [-reps N] [-threads N] (its output and the Go side: testdata/acdc/timing.txt)
"""
import argparse
import math
import statistics
import time

import torch

L, D, H, V, SEQ, THRESHOLD = 2, 256, 8, 2048, 16, 1e-4
HD = D // H


class HookPoint(torch.nn.Identity):
    pass


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        n = lambda *s: torch.nn.Parameter(torch.randn(*s) * 0.02)
        self.tok, self.pos, self.unembed = n(V, D), n(64, D), n(V, D)
        self.wq, self.wk, self.wv = n(L, H, HD, D), n(L, H, HD, D), n(L, H, HD, D)
        self.bq, self.bk, self.bv = [torch.nn.Parameter(torch.zeros(L, H, HD)) for _ in range(3)]
        self.wo, self.bo = n(L, H, D, HD), torch.nn.Parameter(torch.zeros(L, D))
        self.w_in, self.b_in = n(L, 4 * D, D), torch.nn.Parameter(torch.zeros(L, 4 * D))
        self.w_out, self.b_out = n(L, D, 4 * D), torch.nn.Parameter(torch.zeros(L, D))
        self.ln_a = torch.nn.ModuleList(torch.nn.LayerNorm(D) for _ in range(L))
        self.ln_m = torch.nn.ModuleList(torch.nn.LayerNorm(D) for _ in range(L))
        self.ln_f = torch.nn.LayerNorm(D)
        names = ["embed"] + [f"a{l}" for l in range(L)] + [f"m{l}" for l in range(L)] + ["logits"]
        self.hook_in = torch.nn.ModuleDict({k: HookPoint() for k in names})
        self.hook_out = torch.nn.ModuleDict({k: HookPoint() for k in names})
        mask = torch.full((SEQ, SEQ), -1e9).triu(1)
        self.register_buffer("mask", mask)

    def forward(self, toks):
        x = self.hook_out["embed"](self.tok[toks] + self.pos[: len(toks)])
        resid = x
        for l in range(L):
            hin = self.hook_in[f"a{l}"](resid.expand(H, SEQ, D))  # one input per head
            y = self.ln_a[l](hin)
            q = torch.einsum("hjd,hsd->hsj", self.wq[l], y) + self.bq[l][:, None]
            k = torch.einsum("hjd,hsd->hsj", self.wk[l], y) + self.bk[l][:, None]
            v = torch.einsum("hjd,hsd->hsj", self.wv[l], y) + self.bv[l][:, None]
            p = torch.softmax(torch.einsum("hsj,htj->hst", q, k) / math.sqrt(HD) + self.mask, -1)
            out = self.hook_out[f"a{l}"](torch.einsum("hej,hsj->hse", self.wo[l], torch.einsum("hst,htj->hsj", p, v)))
            resid = resid + out.sum(0) + self.bo[l]
            y = self.ln_m[l](self.hook_in[f"m{l}"](resid))
            act = torch.nn.functional.gelu(y @ self.w_in[l].T + self.b_in[l], approximate="tanh")
            mo = self.hook_out[f"m{l}"](act @ self.w_out[l].T + self.b_out[l])
            resid = resid + mo
        fin = self.hook_in["logits"](resid)
        return self.ln_f(fin[-1]) @ self.unembed.T


def components():
    cs = ["embed"]
    for l in range(L):
        cs += [f"a{l}.h{h}" for h in range(H)] + [f"m{l}"]
    return cs + ["logits"]


def split(c):
    """hook name and head index (None for a whole component)."""
    if c.startswith("a"):
        a, h = c.split(".h")
        return a, int(h)
    return c, None


def all_edges():
    cs, es = components(), []
    for i, r in enumerate(cs):
        for s in cs[:i]:
            if not (s.startswith("a") and r.startswith("a") and split(s)[0] == split(r)[0]):
                es.append((s, r))
    return es


class ACDC:
    def __init__(self, model, clean, corrupt):
        self.model, self.clean = model, clean
        self.removed = set()
        self.cache, self.corrupt = {}, {}
        for k, hp in model.hook_out.items():
            hp.register_forward_hook(self.save(k))
        with torch.no_grad():
            model(corrupt)
        self.corrupt = dict(self.cache)
        for k, hp in model.hook_in.items():
            hp.register_forward_hook(self.patch(k))

    def save(self, k):
        def hook(_m, _i, out):
            self.cache[k] = out
        return hook

    def sender_out(self, s, which):
        k, h = split(s)
        return which[k] if h is None else which[k][h]

    def patch(self, k):
        def hook(_m, _i, out):
            if not self.corrupt:
                return out
            recvs = [k] if k != "embed" and not k.startswith("a") else [f"{k}.h{h}" for h in range(H)]
            if k.startswith("a"):
                out = out.clone()
            for i, r in enumerate(recvs):
                delta = None
                for (s, rr) in self.removed:
                    if rr == r:
                        d = self.sender_out(s, self.corrupt) - self.sender_out(s, self.cache)
                        delta = d if delta is None else delta + d
                if delta is not None:
                    if k.startswith("a"):
                        out[i] = out[i] + delta
                    else:
                        out = out + delta
            return out
        return hook

    def logits(self):
        with torch.no_grad():
            return self.model(self.clean)

    def run(self):
        self.evals = 0
        full = torch.log_softmax(self.logits(), -1)
        self.evals += 1

        def damage():
            self.evals += 1
            lq = torch.log_softmax(self.logits(), -1)
            return float((full.exp() * (full - lq)).sum())

        edges = set(all_edges())
        order = list(reversed(components()))
        while order:
            n = 1
            while n < len(order) and order[0].startswith("a") and order[n].startswith("a") and split(order[0])[0] == split(order[n])[0]:
                n += 1
            recvs, order = order[:n], order[n:]
            cands = []
            for r in recvs:
                senders = [s for (s, rr) in sorted(edges) if rr == r]
                if r != "logits" and not any(s == r for (s, _) in edges):
                    for s in senders:
                        edges.discard((s, r))
                        self.removed.add((s, r))
                    continue
                cands += [(s, r) for s in senders]
            if not cands:
                continue
            cur = damage()
            drop = []
            for e in cands:
                self.removed.add(e)
                if damage() - cur < THRESHOLD:
                    drop.append(e)
                self.removed.discard(e)
            for e in drop:
                edges.discard(e)
                self.removed.add(e)
        return edges


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-reps", type=int, default=5)
    ap.add_argument("-threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Model().eval()
    clean, corrupt = torch.randint(0, V, (SEQ,)), torch.randint(0, V, (SEQ,))
    rates, cpu_rates, kept, evals = [], [], 0, 0
    for _ in range(args.reps):
        acdc = ACDC(model, clean, corrupt)
        t0, c0 = time.perf_counter(), time.process_time()
        edges = acdc.run()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        rates.append(acdc.evals / dt)
        cpu_rates.append(acdc.evals / dc)
        kept, evals = len(edges), acdc.evals
        for hp in list(model.hook_in.values()) + list(model.hook_out.values()):
            hp._forward_hooks.clear()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; model L={L} D={D} H={H} V={V} seq={SEQ}")
    print(f"acdc_torch evals/op {evals} edges-left {kept} reps {args.reps}")
    print(f"acdc_torch evals/s median {statistics.median(rates):.1f} (all: {' '.join(f'{r:.1f}' for r in rates)})")
    print(f"acdc_torch evals/cpu-s median {statistics.median(cpu_rates):.1f} (all: {' '.join(f'{r:.1f}' for r in cpu_rates)})")


if __name__ == "__main__":
    main()
