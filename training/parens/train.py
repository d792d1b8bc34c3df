"""Train a paren balancer with jun9_paren_balancer's architecture.

The torch model mirrors circopt's module library (modlib/library.go) op for
op: layer norm with eps 1e-5 and biased variance, attention scores scaled by
1/sqrt(head_size) and masked to -10000 on [PAD] keys, attention then MLP in
each block, a final layer norm, an unembedding with a bias, logits read at
position 0. Weights are saved as safetensors under rust_circuit's names.

Offline only (not run in CI):
    /usr/bin/python3 training/parens/train.py --out training/parens/out
Deterministic from --seed on one thread.
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

# The REMIX day-4b tokenizer's ids.
START, PAD, END, OPEN, CLOSE = 0, 1, 2, 3, 4
VOCAB = 5
SEQ = 42  # 40 parens + [BEGIN] + [END]
HIDDEN, HEADS, HEAD_DIM, MLP, LAYERS, POS_ROWS = 56, 2, 28, 56, 3, 512

INFO = {
    "params": {
        "block_params": {
            "norm_type": "ln",
            "attn_bias": True,
            "attn_pos": False,
            "use_mlp": True,
            "mlp_act_type": "relu",
            "mlp_output_bias": True,
        },
        "num_layers": LAYERS,
        "use_norm_output": True,
        "output_bias": True,
    },
    "model_class": "GPT",
    "pos_enc_type": "gpt",
    "causal_mask": False,
    "extra": None,
}


def tokenize(strs):
    """[BEGIN] parens [END] then [PAD] to SEQ, as rc.CharTokenizer does."""
    out = np.full((len(strs), SEQ), PAD, dtype=np.int64)
    for i, s in enumerate(strs):
        out[i, 0] = START
        for j, c in enumerate(s):
            out[i, 1 + j] = OPEN if c == "(" else CLOSE
        out[i, 1 + len(s)] = END
    return out


def load_data(path):
    strs, labels = [], []
    with gzip.open(path, "rt") as f:
        next(f)
        for line in f:
            s, lab = line.rstrip("\n").split("\t")
            strs.append(s)
            labels.append(int(lab))
    return strs, np.array(labels, dtype=np.int64)


def split(n, seed, heldout):
    """The held-out split: a seeded permutation's first `heldout` indices."""
    perm = np.random.RandomState(seed).permutation(n)
    return perm[heldout:], perm[:heldout]


def init_weights(gen):
    def normal(*shape, std=0.02):
        return torch.randn(*shape, generator=gen) * std

    w = {
        "t.w.tok_embeds": normal(VOCAB, HIDDEN),
        "t.w.pos_embeds": normal(POS_ROWS, HIDDEN),
        "final.ln.w.scale": torch.ones(HIDDEN),
        "final.ln.w.bias": torch.zeros(HIDDEN),
        "t.w.unembed": normal(2, HIDDEN),
        "t.w.unembed_bias": torch.zeros(2),
    }
    for l in range(LAYERS):
        a, m = f"a{l}", f"m{l}"
        for x in "qkv":
            w[f"{a}.w.{x}"] = normal(HEADS, HEAD_DIM, HIDDEN, std=1 / math.sqrt(HIDDEN))
            w[f"{a}.w.{x}_bias"] = torch.zeros(HEADS, HEAD_DIM)
        w[f"{a}.w.o"] = normal(HEADS, HIDDEN, HEAD_DIM, std=1 / math.sqrt(HEADS * HEAD_DIM * 2 * LAYERS))
        w[f"{a}.w.o_bias"] = torch.zeros(HIDDEN)
        w[f"{m}.w.proj_in"] = normal(MLP, HIDDEN, std=math.sqrt(2 / HIDDEN))
        w[f"{m}.w.in_bias"] = torch.zeros(MLP)
        w[f"{m}.w.proj_out"] = normal(HIDDEN, MLP, std=1 / math.sqrt(MLP * 2 * LAYERS))
        w[f"{m}.w.out_bias"] = torch.zeros(HIDDEN)
        for p in (a, m):
            w[f"{p}.ln.w.scale"] = torch.ones(HIDDEN)
            w[f"{p}.ln.w.bias"] = torch.zeros(HIDDEN)
    return w


def layer_norm(x, w, p):
    # modlib's 'ln': (x - mean) * rsqrt(mean((x-mean)^2) + 1e-5) * scale + bias
    mean_subbed = x - x.mean(-1, keepdim=True)
    var = (mean_subbed * mean_subbed).mean(-1, keepdim=True)
    return mean_subbed * torch.rsqrt(var + 1e-5) * w[p + ".ln.w.scale"] + w[p + ".ln.w.bias"]


def heads(x, wt, bias):
    """x [b,s,d] through per-head weights wt [n,c,d] plus bias [n,c]: [b,n,s,c]."""
    n, c, d = wt.shape
    y = x @ wt.reshape(n * c, d).T + bias.reshape(n * c)
    return y.reshape(x.shape[0], x.shape[1], n, c).transpose(1, 2)


def attention(xq, x, mask, w, a):
    """All heads of layer a, queries from xq [b,q,h], keys and values from
    x [b,k,h]; mask [b,k] is 1 on non-[PAD] keys."""
    q = heads(xq, w[a + ".w.q"], w[a + ".w.q_bias"])
    k = heads(x, w[a + ".w.k"], w[a + ".w.k_bias"])
    v = heads(x, w[a + ".w.v"], w[a + ".w.v_bias"])
    m = mask[:, None, None, :]
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(HEAD_DIM) * m + (1 - m) * -10000.0
    comb = scores.softmax(-1) @ v  # [b,n,q,c]
    o = w[a + ".w.o"]  # [n,d,c]
    b, n, sq, c = comb.shape
    return comb.transpose(1, 2).reshape(b, sq, n * c) @ o.permute(0, 2, 1).reshape(n * c, -1) + w[a + ".w.o_bias"]


def mlp(x, w, m):
    pre = x @ w[m + ".w.proj_in"].T + w[m + ".w.in_bias"]
    return F.relu(pre) @ w[m + ".w.proj_out"].T + w[m + ".w.out_bias"]


def forward(w, toks, resids=None):
    """Logits [b,2] at position 0 for tokens [b,s].

    Trailing [PAD]s may be cut (keys on them get weight exp(-10000) = 0), and
    the last layer runs only at position 0, the one read: both change nothing
    at position 0. With a list resids, the residual stream after each block
    but the last is appended to it (for the training-only probes)."""
    onehot = F.one_hot(toks, VOCAB).to(torch.float32)
    x = onehot @ w["t.w.tok_embeds"] + w["t.w.pos_embeds"][: toks.shape[1]]
    mask = 1 - onehot[:, :, PAD]
    for l in range(LAYERS):
        a, m = f"a{l}", f"m{l}"
        ln = layer_norm(x, w, a)
        if l == LAYERS - 1:
            x = x[:, :1] + attention(ln[:, :1], ln, mask, w, a)
        else:
            x = x + attention(ln, ln, mask, w, a)
        x = x + mlp(layer_norm(x, w, m), w, m)
        if resids is not None and l < LAYERS - 1:
            resids.append(x)
    x = layer_norm(x[:, 0], w, "final")
    return x @ w["t.w.unembed"].T + w["t.w.unembed_bias"]


def probe_targets(toks):
    """The day's features as training-only targets (REMIX day 4b definitions):
    per position, whether the suffix from it holds more '(' than ')' (the
    horizon fails there, p_open_after > 0.5), a mask of paren positions, and
    per string the count test (as many '(' as ')') and the horizon test (no
    position fails)."""
    o = (toks == OPEN).float().flip(1).cumsum(1).flip(1)
    c = (toks == CLOSE).float().flip(1).cumsum(1).flip(1)
    fails = (o > c).float()
    paren = ((toks == OPEN) | (toks == CLOSE)).float()
    count = (o[:, 0] == c[:, 0]).float()
    horizon = 1 - (fails * paren).amax(1)
    return fails, paren, count, horizon


def init_probes(gen):
    """Linear probes read from the residual stream after blocks 0 and 1
    (one logit per position for 'horizon fails here') and after block 1 at
    position 0 (count test, horizon test). They add a training signal for
    the features the day's hypotheses name and are never exported."""
    p = {}
    for l in range(LAYERS - 1):
        p[f"probe{l}.w"] = torch.randn(1, HIDDEN, generator=gen) * 0.02
        p[f"probe{l}.b"] = torch.zeros(1)
    p["probe_tests.w"] = torch.randn(2, HIDDEN, generator=gen) * 0.02
    p["probe_tests.b"] = torch.zeros(2)
    return p


def probe_loss(p, resids, toks):
    fails, paren, count, horizon = probe_targets(toks)
    loss = 0.0
    for l, r in enumerate(resids):
        z = (r @ p[f"probe{l}.w"].T + p[f"probe{l}.b"])[..., 0]
        bce = F.binary_cross_entropy_with_logits(z, fails, reduction="none")
        loss = loss + (bce * paren).sum() / paren.sum().clamp(min=1)
    z = resids[-1][:, 0] @ p["probe_tests.w"].T + p["probe_tests.b"]
    return loss + F.binary_cross_entropy_with_logits(z, torch.stack([count, horizon], 1))


def save_safetensors(path, tensors):
    """safetensors: u64 header length, JSON header, raw little-endian data."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().numpy().astype("<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k != "__metadata__":
            a, b = v["data_offsets"]
            out[k] = np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"]).copy()
    return out


def accuracy(w, toks, labels, bs=4000):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(toks), bs):
            logits = forward(w, toks[i : i + bs])
            correct += ((logits[:, 1] > logits[:, 0]).long() == labels[i : i + bs]).sum().item()
    return correct / len(toks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/remix/parens.tsv.gz")
    ap.add_argument("--out", default="training/parens/out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--heldout", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--target", type=float, default=0.999, help="stop at this held-out accuracy")
    ap.add_argument("--budget", type=float, default=48 * 60, help="seconds of training at most")
    ap.add_argument("--max-epochs", type=int, default=20, help="epochs; the cosine schedule spans them all")
    ap.add_argument("--probe-weight", type=float, default=0.5, help="weight of the training-only probe loss (0: none)")
    ap.add_argument("--clip", type=float, default=1.0, help="gradient norm clip (0: none)")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--init", default="", help="start from these weights (a weights.safetensors this script wrote)")
    ap.add_argument("--warmup", type=int, default=500, help="steps of linear learning-rate warmup")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    strs, labels = load_data(args.data)
    toks = torch.tensor(tokenize(strs))
    labels = torch.tensor(labels)
    train_idx, held_idx = split(len(strs), args.seed, args.heldout)
    np.save(os.path.join(args.out, "heldout_idx.npy"), held_idx.astype(np.int64))
    tr_x, tr_y = toks[train_idx], labels[train_idx]
    ho_x, ho_y = toks[held_idx], labels[held_idx]

    w = init_weights(gen)
    if args.init:
        w = {k: torch.tensor(load_safetensors(args.init)[k]) for k in w}
    probes = init_probes(gen)
    for t in list(w.values()) + list(probes.values()):
        t.requires_grad_(True)
    everything = {**w, **probes}
    decay = [t for n, t in everything.items() if t.dim() >= 2]
    no_decay = [t for n, t in everything.items() if t.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr
    )
    # batches of one string length, cut after [END]: no work on [PAD]s
    tr_len = (tr_x != PAD).sum(1)
    groups = [torch.nonzero(tr_len == n).flatten() for n in sorted(set(tr_len.tolist()))]
    steps_per_epoch = sum(len(g) // args.batch for g in groups)
    total = steps_per_epoch * args.max_epochs
    warm = args.warmup

    def lr_at(step):
        if step < warm:
            return args.lr * (step + 1) / warm
        return args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total)))

    start, step, acc, best = time.time(), 0, 0.0, (-1.0, -1)
    log = []
    for epoch in range(args.max_epochs):
        batches = []
        for g in groups:
            p = g[torch.randperm(len(g), generator=gen)]
            batches += [p[i * args.batch : (i + 1) * args.batch] for i in range(len(g) // args.batch)]
        order = torch.randperm(len(batches), generator=gen)
        run_loss, run_probe = 0.0, 0.0
        for bi in order.tolist():
            idx = batches[bi]
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            n = int(tr_len[idx[0]])
            resids = [] if args.probe_weight > 0 else None
            logits = forward(w, tr_x[idx, :n], resids)
            loss = F.cross_entropy(logits, tr_y[idx])
            total_loss = loss
            if resids is not None:
                pl = probe_loss(probes, resids, tr_x[idx, :n])
                total_loss = loss + args.probe_weight * pl
                run_probe += pl.item()
            opt.zero_grad()
            total_loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(list(everything.values()), args.clip)
            opt.step()
            run_loss += loss.item()
            step += 1
        acc = accuracy(w, ho_x, ho_y)
        el = time.time() - start
        log.append({"epoch": epoch, "step": step, "lr": lr_at(step - 1), "train_loss": run_loss / steps_per_epoch,
                    "probe_loss": run_probe / steps_per_epoch, "heldout_acc": acc, "seconds": el})
        print(json.dumps(log[-1]), flush=True)
        # the best epoch on the held-out split is kept, so a run cut short still leaves weights
        if acc > best[0]:
            best = (acc, epoch)
            save_safetensors(os.path.join(args.out, "weights.safetensors"), {n: t.detach() for n, t in w.items()})
        if acc >= args.target or el > args.budget:
            break

    w = {k: torch.tensor(v) for k, v in load_safetensors(os.path.join(args.out, "weights.safetensors")).items()}
    acc = accuracy(w, ho_x, ho_y)
    with open(os.path.join(args.out, "info.json"), "w") as f:
        json.dump(INFO, f)
    summary = {
        "args": vars(args),
        "seed": args.seed,
        "heldout": args.heldout,
        "heldout_acc": acc,
        "best_epoch": best[1],
        "train_acc_sample": accuracy(w, tr_x[:10000], tr_y[:10000]),
        "epochs": len(log),
        "seconds": time.time() - start,
        "log": log,
    }
    with open(os.path.join(args.out, "train_summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("held-out accuracy", acc)


if __name__ == "__main__":
    main()
