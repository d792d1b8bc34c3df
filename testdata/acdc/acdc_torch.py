#!/usr/bin/python3
"""PyTorch side of circopt's ACDC benchmarks (bench/acdc_test.go).

The same greedy loop as circopt's acdc.Run, done with forward hooks on hook
points as TransformerLens-based ACDC does: each receiver's input is the
clean residual minus, for each removed edge, (sender's clean output -
sender's corrupt output). Receivers run from the output backwards, a layer's
heads in one step; each candidate removal is one forward pass (hooks cannot
batch variants), judged against the step's current circuit, as in Go; a
receiver whose component sends nothing any more loses its edges unjudged.
KL metric at the last position. CPU, torch.set_num_threads(-threads, 2 by
default), float32; prints evaluations per second of wall time and of process
CPU time (all threads; steadier on a shared machine), medians over reps.

Two models:
  -model random     BenchmarkACDCWarm's: 2 layers, hidden 256, 8 heads,
                    vocab 2048, GPT-2 initialisation (normal std 0.02, layer
                    norms 1 and 0), 16 random tokens, threshold 1e-4;
                    receivers are whole heads, MLPs and the logits.
  -model induction  BenchmarkACDCInduction's: the trained 2-layer
                    attention-only shortformer model of examples/day3 (its
                    weights read from model.circ's hashes in store/),
                    threshold 0.01, each head's q, k and v inputs separate
                    receivers (circopt's default for attention-only
                    models). Its tokens (BOS + 10 random tokens twice; the
                    corrupt run's first occurrence replaced by other random
                    tokens) are written to induction_{clean,corrupt,warm}.npy
                    beside this script, and the edges this loop keeps in
                    float64 (the reference acdc's TestInductionMatchesTorch
                    compares circopt's to) to induction_torch.json.

    /usr/bin/python3 testdata/acdc/acdc_torch.py [-model random|induction] [-reps N] [-threads N]
(its output and the Go side: testdata/acdc/timing.txt)
"""
import argparse
import hashlib
import json
import math
import os
import re
import statistics
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DAY3 = os.path.join(HERE, "..", "..", "examples", "day3")


class HookPoint(torch.nn.Identity):
    pass


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], w, b, eps)


class RandomModel(torch.nn.Module):
    """GPT-2 style: positions added to the tokens, MLPs, biases; one input per head."""
    L, D, H, V, SEQ = 2, 256, 8, 2048, 16
    HD = D // H
    qkv = False

    def __init__(self):
        super().__init__()
        L, D, H, V, HD = self.L, self.D, self.H, self.V, self.HD
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
        self.register_buffer("mask", torch.full((self.SEQ, self.SEQ), -1e9).triu(1))

    def forward(self, toks):
        L, D, H, SEQ = self.L, self.D, self.H, self.SEQ
        resid = self.hook_out["embed"](self.tok[toks] + self.pos[: len(toks)])
        for l in range(L):
            hin = self.hook_in[f"a{l}"](resid.expand(H, SEQ, D))  # one input per head
            y = self.ln_a[l](hin)
            q = torch.einsum("hjd,hsd->hsj", self.wq[l], y) + self.bq[l][:, None]
            k = torch.einsum("hjd,hsd->hsj", self.wk[l], y) + self.bk[l][:, None]
            v = torch.einsum("hjd,hsd->hsj", self.wv[l], y) + self.bv[l][:, None]
            p = torch.softmax(torch.einsum("hsj,htj->hst", q, k) / math.sqrt(self.HD) + self.mask, -1)
            out = self.hook_out[f"a{l}"](torch.einsum("hej,hsj->hse", self.wo[l], torch.einsum("hst,htj->hsj", p, v)))
            resid = resid + out.sum(0) + self.bo[l]
            y = self.ln_m[l](self.hook_in[f"m{l}"](resid))
            act = torch.nn.functional.gelu(y @ self.w_in[l].T + self.b_in[l], approximate="tanh")
            resid = resid + self.hook_out[f"m{l}"](act @ self.w_out[l].T + self.b_out[l])
        fin = self.hook_in["logits"](resid)
        return self.ln_f(fin[-1]) @ self.unembed.T


def read_day3():
    """examples/day3/model.circ's weights by rust_circuit name, and its # info: header."""
    path = os.path.join(DAY3, "model.circ")
    text = open(path).read()
    info = json.loads(text.split("\n", 1)[0][len("# info:"):])
    store = os.listdir(os.path.join(DAY3, "store"))
    ws = {}
    for m in re.finditer(r"'([^']+)' \[[^\]]*\] Array ([0-9a-f]+)", text):
        name, h = m.group(1), m.group(2)
        (f,) = [f for f in store if f.startswith(h)]
        ws[name[: -len("_arr")] if name.endswith("_arr") else name] = np.load(os.path.join(DAY3, "store", f))
    return ws, info, hashlib.sha256(text.encode()).hexdigest()


class InductionModel(torch.nn.Module):
    """The day 3 model: shortformer positions (added to the q and k inputs
    after the layer norm), no MLPs or biases, causal mask, final layer norm,
    untied unembedding; the q, k and v inputs of every head hooked apart."""
    qkv = True

    def __init__(self, ws, info):
        super().__init__()
        p, bp = info["params"], info["params"]["block_params"]
        assert info["pos_enc_type"] == "shortformer" and not bp["use_mlp"] and not bp["attn_bias"]
        assert bp["norm_type"] == "ln" and p["use_norm_output"] and not p["output_bias"] and info["causal_mask"]
        self.eps = float((info.get("extra") or {}).get("ln_eps", 1e-5))
        t = lambda n: torch.nn.Parameter(torch.tensor(ws[n]))
        self.L = p["num_layers"]
        self.H, self.HD, self.D = ws["a0.w.q"].shape
        self.V = ws["t.w.tok_embeds"].shape[0]
        self.tok, self.pos, self.unembed = t("t.w.tok_embeds"), t("t.w.pos_embeds"), t("t.w.unembed")
        self.w = torch.nn.ParameterDict({n.replace(".", "_"): t(n) for n in ws if n.startswith("a") or n.startswith("final")})
        names = ["embed"] + [f"a{l}" for l in range(self.L)] + ["logits"]
        self.hook_out = torch.nn.ModuleDict({k: HookPoint() for k in names})
        ins = ["logits"] + [f"a{l}.{x}" for l in range(self.L) for x in "qkv"]
        self.hook_in = torch.nn.ModuleDict({k.replace(".", "_"): HookPoint() for k in ins})

    def W(self, n):
        return self.w[n.replace(".", "_")]

    def hook(self, k):
        return self.hook_in[k.replace(".", "_")]

    def forward(self, toks):
        seq, H, D = len(toks), self.H, self.D
        pos = self.pos[:seq]
        mask = torch.full((seq, seq), -1e9, dtype=pos.dtype).triu(1)
        resid = self.hook_out["embed"](self.tok[toks])
        for l in range(self.L):
            ln = lambda x: layer_norm(x, self.W(f"a{l}.ln.w.scale"), self.W(f"a{l}.ln.w.bias"), self.eps)
            x = {c: ln(self.hook(f"a{l}.{c}")(resid.expand(H, seq, D))) for c in "qkv"}
            q = torch.einsum("hjd,hsd->hsj", self.W(f"a{l}.w.q"), x["q"] + pos)
            k = torch.einsum("hjd,hsd->hsj", self.W(f"a{l}.w.k"), x["k"] + pos)
            v = torch.einsum("hjd,hsd->hsj", self.W(f"a{l}.w.v"), x["v"])
            p = torch.softmax(torch.einsum("hsj,htj->hst", q, k) / math.sqrt(self.HD) + mask, -1)
            out = self.hook_out[f"a{l}"](torch.einsum("hej,hsj->hse", self.W(f"a{l}.w.o"), torch.einsum("hst,htj->hsj", p, v)))
            resid = resid + out.sum(0)
        fin = self.hook_in["logits"](resid)
        return layer_norm(fin[-1], self.W("final.ln.w.scale"), self.W("final.ln.w.bias"), self.eps) @ self.unembed.T


class Graph:
    """Components, receivers and edges, named as circopt's acdc names them."""

    def __init__(self, model):
        self.model = model
        L, H = model.L, model.H
        mlp = not model.qkv and hasattr(model, "w_in")
        self.comps = ["embed"]
        for l in range(L):
            self.comps += [f"a{l}.h{h}" for h in range(H)] + ([f"m{l}"] if mlp else [])
        self.comps.append("logits")
        self.recvs = []
        for c in self.comps[1:]:
            self.recvs += [f"{c}.{x}" for x in "qkv"] if model.qkv and c.startswith("a") else [c]
        self.edges = []  # by receiver, then sender, in forward order
        for r in self.recvs:
            for s in self.comps[: self.comps.index(self.comp(r))]:
                if not (s.startswith("a") and r.startswith("a") and s.split(".")[0] == r.split(".")[0]):
                    self.edges.append((s, r))

    @staticmethod
    def comp(r):
        return r.rsplit(".", 1)[0] if r.endswith((".q", ".k", ".v")) else r

    @staticmethod
    def layer_heads(r):
        """the layer of a head's receiver (None for others)."""
        return r.split(".")[0] if r.startswith("a") else None

    def recv_hook(self, r):
        """hook_in key and head index of receiver r (None for a whole hook)."""
        if not r.startswith("a"):
            return r, None
        parts = r.split(".")
        key = parts[0] if len(parts) == 2 else f"{parts[0]}.{parts[2]}"
        return key, int(parts[1][1:])

    @staticmethod
    def send_hook(s):
        if not s.startswith("a"):
            return s, None
        a, h = s.split(".h")
        return a, int(h)

    def connected(self, edges):
        """edges on a path from embed to logits (a head's inputs reach the head)."""
        fwd, back = {"embed"}, {"logits"}
        for _ in range(len(self.recvs) + 2):
            for s, r in edges:
                if s in fwd:
                    fwd |= {r, self.comp(r)}
                if r in back or self.comp(r) in back:
                    back.add(s)
        return {(s, r) for (s, r) in edges if s in fwd and (r in back or self.comp(r) in back)}


class ACDC:
    def __init__(self, model, clean, corrupt):
        self.model, self.clean, self.graph = model, clean, Graph(model)
        self.removed = set()
        self.cache, self.corrupt = {}, {}
        self.handles = [hp.register_forward_hook(self.save(k)) for k, hp in model.hook_out.items()]
        with torch.no_grad():
            model(corrupt)
        self.corrupt = dict(self.cache)
        for key in model.hook_in:
            hook_key = key.replace("_", ".")
            recvs = [r for r in self.graph.recvs if self.graph.recv_hook(r)[0] == hook_key]
            self.handles.append(model.hook_in[key].register_forward_hook(self.patch(recvs)))

    def close(self):
        for h in self.handles:
            h.remove()

    def save(self, k):
        def hook(_m, _i, out):
            self.cache[k] = out
        return hook

    def sender_out(self, s, which):
        k, h = Graph.send_hook(s)
        return which[k] if h is None else which[k][h]

    def patch(self, recvs):
        def hook(_m, _i, out):
            if not self.corrupt:
                return out
            heads = recvs and self.graph.recv_hook(recvs[0])[1] is not None
            if heads:
                out = out.clone()
            for r in recvs:
                delta = None
                for (s, rr) in self.removed:
                    if rr == r:
                        d = self.sender_out(s, self.corrupt) - self.sender_out(s, self.cache)
                        delta = d if delta is None else delta + d
                if delta is not None:
                    if heads:
                        h = self.graph.recv_hook(r)[1]
                        out[h] = out[h] + delta
                    else:
                        out = out + delta
            return out
        return hook

    def logits(self):
        with torch.no_grad():
            return self.model(self.clean)

    def run(self, threshold):
        g = self.graph
        self.evals = 0
        full = torch.log_softmax(self.logits(), -1)
        self.evals += 1

        def damage():
            self.evals += 1
            lq = torch.log_softmax(self.logits(), -1)
            return float((full.exp() * (full - lq)).sum())

        edges = set(g.edges)
        order = list(reversed(g.recvs))
        while order:
            n = 1
            while n < len(order) and g.layer_heads(order[0]) and g.layer_heads(order[0]) == g.layer_heads(order[n]):
                n += 1
            recvs, order = sorted(order[:n], key=g.recvs.index), order[n:]
            cands = []
            for r in recvs:
                senders = [s for (s, rr) in g.edges if rr == r]
                if r != "logits" and not any(s == g.comp(r) for (s, _) in edges):
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
                if damage() - cur < threshold:
                    drop.append(e)
                self.removed.discard(e)
            for e in drop:
                edges.discard(e)
                self.removed.add(e)
        return edges


def induction_tokens(vocab):
    """BOS + 10 random tokens twice; the corrupt run's first occurrence replaced; and a warm-up pair."""
    rng = np.random.default_rng(17)
    n = 10
    rep = lambda: np.concatenate([[0], np.tile(rng.integers(1, vocab, n), 2)]).astype(np.int64)
    clean, other, warm, wother = rep(), rep(), rep(), rep()
    corrupt = np.concatenate([other[: n + 1], clean[n + 1:]])
    wcorrupt = np.concatenate([wother[: n + 1], warm[n + 1:]])
    return clean, corrupt, warm, wcorrupt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-model", default="random", choices=["random", "induction"])
    ap.add_argument("-reps", type=int, default=5)
    ap.add_argument("-threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.model == "random":
        model, threshold = RandomModel().eval(), 1e-4
        clean, corrupt = torch.randint(0, model.V, (model.SEQ,)), torch.randint(0, model.V, (model.SEQ,))
        desc = f"random GPT-2 style L={model.L} D={model.D} H={model.H} V={model.V} seq={model.SEQ}"
    else:
        ws, info, sha = read_day3()
        model, threshold = InductionModel(ws, info).eval(), 0.01
        c, x, w, wx = induction_tokens(model.V)
        for name, t in [("clean", c), ("corrupt", x), ("warm", w), ("warm_corrupt", wx)]:
            np.save(os.path.join(HERE, f"induction_{name}.npy"), t)
        clean, corrupt = torch.tensor(c), torch.tensor(x)
        desc = f"examples/day3 induction model L={model.L} D={model.D} H={model.H} V={model.V} seq={len(c)}"
        # The reference edges, in float64 (float32 may flip an edge at the threshold).
        model64 = InductionModel(ws, info).double().eval()
        acdc = ACDC(model64, clean, corrupt)
        kept = sorted(acdc.graph.connected(acdc.run(threshold)), key=lambda e: (acdc.graph.recvs.index(e[1]), acdc.graph.comps.index(e[0])))
        acdc.close()
        with open(os.path.join(HERE, "induction_torch.json"), "w") as f:
            json.dump({"model_circ_sha256": sha, "threshold": threshold, "metric": "kl", "dtype": "float64",
                       "clean": c.tolist(), "corrupt": x.tolist(), "evaluations": acdc.evals,
                       "edges": [list(e) for e in kept]}, f, indent=1)
            f.write("\n")
        print(f"float64 reference: {len(kept)} edges kept, {acdc.evals} evaluations (induction_torch.json)")
    rates, cpu_rates, kept, evals = [], [], 0, 0
    for _ in range(args.reps):
        acdc = ACDC(model, clean, corrupt)
        t0, c0 = time.perf_counter(), time.process_time()
        edges = acdc.run(threshold)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        rates.append(acdc.evals / dt)
        cpu_rates.append(acdc.evals / dc)
        kept, evals = len(acdc.graph.connected(edges)), acdc.evals
        acdc.close()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {desc}")
    print(f"acdc_torch evals/op {evals} edges-kept {kept} reps {args.reps}")
    print(f"acdc_torch evals/s median {statistics.median(rates):.1f} (all: {' '.join(f'{r:.1f}' for r in rates)})")
    print(f"acdc_torch evals/cpu-s median {statistics.median(cpu_rates):.1f} (all: {' '.join(f'{r:.1f}' for r in cpu_rates)})")


if __name__ == "__main__":
    main()
