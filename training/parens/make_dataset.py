"""Write the day-4b scrubbing dataset: the held-out strings, one-hot, with
the day's features as columns (REMIX remix_d4_part2_setup.py definitions).

Offline only:
    /usr/bin/python3 training/parens/make_dataset.py \
        --weights examples/day4b/model.circ \
        --heldout training/parens/out/heldout_idx.npy --out examples/day4b/dataset.npz
Arrays (leading axis = example):
  tokens [N,42,5] float32 one-hot, is_balanced [N], tokens_flat [N,42] int64,
  count_test, horizon_test, starts_with_open, count_open (count test and
  starts open), p1_open (p_open_after at 1 if it starts open, else -1),
  input_lengths, horizon_all / horizon_adj_all, horizon_p{i} /
  horizon_adj_p{i} for i in 0..41 (the day's 5-class horizon_i values, from
  p_open_after or the attention-adjusted proportion).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import CLOSE, END, OPEN, PAD, SEQ, START, load_data, tokenize  # noqa: E402
from train import load_safetensors as train_load_safetensors  # noqa: E402


def load_safetensors(path):
    """float64 weights from train.py's safetensors or, for a .circ path, from
    that shipped model file and the tensor store beside it."""
    if path.endswith(".circ"):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
        import store_weights  # noqa: E402

        w = store_weights.load(path, os.path.join(os.path.dirname(path), "store"))
    else:
        w = train_load_safetensors(path)
    return {k: v.astype(np.float64) for k, v in w.items()}


def cumsum_reversed(x):
    return x.sum(1, keepdims=True) - x.cumsum(1) + x


def p_open_after(toks):
    o = cumsum_reversed((toks == OPEN).astype(np.float64))
    c = cumsum_reversed((toks == CLOSE).astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return o / (o + c)


def layer_norm(x, scale, bias):
    m = x - x.mean(-1, keepdims=True)
    return m / np.sqrt((m * m).mean(-1, keepdims=True) + 1e-5) * scale + bias


def adjusted_attn_factors(w):
    """[inputlen 43, qpos 42, kpos 42]: head 0.0's average attention to paren
    positions before / on-or-after the query, normalised (the day's
    get_adjusted_attn_factors)."""
    emb = w["t.w.pos_embeds"][:SEQ, None, :] + w["t.w.tok_embeds"][None, :, :]
    ln = layer_norm(emb, w["a0.ln.w.scale"], w["a0.ln.w.bias"])  # [pos, tok, d]
    lens = np.arange(43)[:, None, None]
    pos = np.arange(SEQ)[None, :, None]

    def inputs(just_opens):
        paren = ln[:, OPEN] if just_opens else ln[:, [OPEN, CLOSE]].mean(1)
        arr = np.where(pos < lens, paren[None], ln[None, :, PAD])
        arr = np.where(pos == 0, ln[None, 0:1, START], arr)
        arr = np.where(pos == lens - 1, ln[None, :, END], arr)
        arr[[0, 1]] = np.nan
        return arr

    q = np.einsum("cd,lsd->lsc", w["a0.w.q"][0], inputs(True)) + w["a0.w.q_bias"][0]
    k = np.einsum("cd,lsd->lsc", w["a0.w.k"][0], inputs(False)) + w["a0.w.k_bias"][0]
    scores = np.einsum("lqc,lkc->lqk", q, k)
    L = np.arange(43)[:, None, None]
    qp = np.arange(SEQ)[None, :, None]
    kp = np.arange(SEQ)[None, None, :]
    scores = np.where(kp >= L, scores - 10000, scores) / np.sqrt(28)
    with np.errstate(invalid="ignore"):
        scores = scores - np.nanmax(scores, -1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    paren = (kp >= 1) & (kp <= L - 2)
    before = np.broadcast_to(paren & (kp < qp), probs.shape)
    after = np.broadcast_to(paren & (kp >= qp), probs.shape)

    def avg_in(mask):
        with np.errstate(invalid="ignore"):
            m = np.nan_to_num(probs.mean(-1, keepdims=True, where=mask), nan=0.0)
        return mask * m

    wts = avg_in(before) + avg_in(after)
    with np.errstate(invalid="ignore"):
        return wts / wts.sum(-1, keepdims=True)


def horizon_vals(toks, ps, i):
    """The day's to_horizon_vals: 0 pad, -1/1 [END] after '('/')', -2/2 p>0.5 / p<=0.5."""
    conds = [
        toks[:, i] == PAD,
        (toks[:, i] == END) & (toks[:, i - 1] == OPEN),
        (toks[:, i] == END) & (toks[:, i - 1] == CLOSE),
        ps[:, i] > 0.5,
        ps[:, i] <= 0.5,
    ]
    vals = np.select(conds, [0, -1, 1, -2, 2], default=np.nan)
    assert not np.isnan(vals).any(), i
    return vals


def features(toks, labels, w):
    p = p_open_after(toks)
    lengths = (toks != PAD).sum(-1)
    starts_open = toks[:, 1] == OPEN
    count = p[:, 0] == 0.5
    with np.errstate(invalid="ignore"):
        horizon = np.nanmax(p, axis=1) <= 0.5
    onehot = np.eye(5, dtype=np.float32)[toks]
    cols = {
        "tokens": onehot,
        "tokens_flat": toks.astype(np.int64),
        "is_balanced": labels.astype(np.float32),
        "count_test": count.astype(np.float32),
        "horizon_test": horizon.astype(np.float32),
        "starts_with_open": starts_open.astype(np.float32),
        "count_open": (count & starts_open).astype(np.float32),
        "p1_open": np.where(starts_open, p[:, 1], -1.0),
        "input_lengths": lengths.astype(np.float32),
    }
    adj = (adjusted_attn_factors(w)[lengths] * (toks == OPEN)[:, None, :]).sum(-1)
    for name, ps in (("horizon", p), ("horizon_adj", adj)):
        vals = np.stack([horizon_vals(toks, ps, i) for i in range(SEQ)], -1)
        for i in range(SEQ):
            cols[f"{name}_p{i}"] = vals[:, i].astype(np.float32)
        cols[f"{name}_all"] = (vals >= 0).all(-1).astype(np.float32)
    return cols


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/remix/parens.tsv.gz")
    ap.add_argument("--weights", default="examples/day4b/model.circ", help="a shipped model.circ (store beside it) or train.py's weights.safetensors")
    ap.add_argument("--heldout", default="training/parens/out/heldout_idx.npy")
    ap.add_argument("--out", default="examples/day4b/dataset.npz")
    args = ap.parse_args()
    strs, labels = load_data(args.data)
    idx = np.load(args.heldout)
    toks = tokenize([strs[i] for i in idx])
    cols = features(toks, labels[idx], load_safetensors(args.weights))
    np.savez_compressed(args.out, **cols)
    print({k: (v.shape, float(v.mean()) if k not in ("tokens", "tokens_flat") else None) for k, v in cols.items() if not k[-1].isdigit()})


if __name__ == "__main__":
    main()
