#!/usr/bin/python3
"""PyTorch side of circopt's GPT-2 benchmarks (bench/transformer_test.go).

Same shapes as the Go benchmarks: GPT-2 small (12 layers, 768 hidden, 12
heads, vocab 50257, random weights) forward on 8x128 tokens; and ablating
each of the 144 heads in turn (145 variants) with a forward hook loop on
1x32 tokens. CPU, torch.set_num_threads(2), float32, medians.

    /usr/bin/python3 bench/transformer_torch.py [-reps N]
"""
import argparse
import math
import resource
import statistics
import time

import torch

L, D, H, V, CTX = 12, 768, 12, 50257, 1024
HD = D // H


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = torch.nn.LayerNorm(D), torch.nn.LayerNorm(D)
        self.c_attn, self.c_proj = torch.nn.Linear(D, 3 * D), torch.nn.Linear(D, D)
        self.c_fc, self.mlp_proj = torch.nn.Linear(D, 4 * D), torch.nn.Linear(4 * D, D)
        self.head_mask = None  # [H] multiplier on each head's output, for ablation

    def forward(self, x):
        b, s, _ = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=-1)
        q, k, v = (z.view(b, s, H, HD).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
        causal = torch.ones(s, s, dtype=torch.bool).tril()
        z = att.masked_fill(~causal, float("-inf")).softmax(-1) @ v  # [b, H, s, HD]
        if self.head_mask is not None:
            z = z * self.head_mask.view(1, H, 1, 1)
        x = x + self.c_proj(z.transpose(1, 2).reshape(b, s, D))
        h = torch.nn.functional.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")
        return x + self.mlp_proj(h)


class GPT2(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = torch.nn.Embedding(V, D), torch.nn.Embedding(CTX, D)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(L))
        self.ln_f = torch.nn.LayerNorm(D)
        for p in self.parameters():
            if p.dim() > 1:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, tokens):
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.shape[-1]))
        for blk in self.blocks:
            x = blk(x)
        return self.ln_f(x) @ self.wte.weight.T


def forward_flops(b, s):
    """Multiply-adds x2 of the matmuls, as circopt's runtime counts them."""
    per_layer = 2 * b * s * (D * 3 * D + D * D + 2 * D * 4 * D) + 2 * 2 * b * H * s * s * HD
    return L * per_layer + 2 * b * s * D * V


def timed(f, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-reps", type=int, default=3)
    ap.add_argument("-skip-forward", action="store_true", help="time only the ablation sweep")
    ap.add_argument("-variants", type=int, default=145, help="time the first N variants of the sweep")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = GPT2().eval()
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        toks = torch.randint(0, V, (8, 128), generator=g)
        small = torch.randint(0, V, (1, 32), generator=g)
        if not args.skip_forward:
            model(toks)  # warm up
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t = timed(lambda: model(toks), args.reps)
            rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"torch forward 8x128: median {t:.3f} s, {forward_flops(8, 128) / t / 1e9:.1f} GFLOP/s, "
                  f"peak RSS {rss1 / 1024:.0f} MiB (growth during the runs {(rss1 - rss0) / 1024:.0f} MiB)", flush=True)

        def sweep():
            outs = [model(small)]
            for v in range(args.variants - 1):
                blk = model.blocks[v // H]
                blk.head_mask = torch.ones(H)
                blk.head_mask[v % H] = 0
                outs.append(model(small))
                blk.head_mask = None
            return outs

        t = timed(sweep, args.reps)
        n = args.variants
        print(f"torch head ablation {n} of 145 variants x 1x32: median {t:.3f} s ({t / n * 1e3:.1f} ms/variant, "
              f"{t / n * 145:.1f} s for 145 at that rate)")


if __name__ == "__main__":
    main()
