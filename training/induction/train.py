"""Train a 2-layer attention-only transformer with attention_only_2's layout
(shortformer positions, layer norm, causal mask, untied unembed) on synthetic
sequences with repeated random-token segments, so that induction heads form.

The forward pass mirrors circopt's modlib module library term by term:
  ln(x)      = (x - mean) * rsqrt(var + 1e-5) * scale + bias   (biased var)
  q/k input  = ln(resid) + pos_embeds      (shortformer; v input is ln(resid))
  scores     = q.k * rsqrt(head_dim) + (1 - mask) * -10000
  head       = w_o[h] @ (softmax(scores) @ v)
  resid     += sum over heads;  logits = final_ln(resid) @ unembed^T
Run offline (never in CI):  /usr/bin/python3 training/induction/train.py
Writes training/induction/out/{weights.safetensors,info.json,report.json}.
"""
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

SEED = 0
VOCAB = 256  # token 0 is BOS; data tokens are 1..VOCAB-1
HIDDEN = 64
HEADS = 8
HEAD_DIM = 16
SEQ = 32  # model positions; each example holds SEQ+1 tokens
MAX_POS = 64
STEPS = int(os.environ.get("STEPS", "3000"))
BATCH = 64
SEG_MIN = int(os.environ.get("SEG_MIN", "4"))  # shortest repeated segment
SEG_MAX = int(os.environ.get("SEG_MAX", "16"))  # longest repeated segment (2*SEG_MAX <= SEQ)
UNREP_FRAC = float(os.environ.get("UNREP_FRAC", "0.25"))  # examples with no repeat
LR = float(os.environ.get("LR", "1e-3"))
BUDGET = float(os.environ.get("BUDGET", str(50 * 60)))  # wall seconds; the run stops early past it
# group-lasso weight on each head's output matrix (sum over heads of ||W_o[h]||_F):
# weight decay alone favours spreading a mechanism over all heads; this
# favours few heads doing it, as in Redwood's model (0: off)
HEAD_L1 = float(os.environ.get("HEAD_L1", "0"))

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", os.path.join(HERE, "out"))

INFO = {
    "params": {
        "block_params": {"norm_type": "ln", "attn_bias": False, "attn_pos": True, "use_mlp": False,
                         "mlp_act_type": "gelu", "mlp_output_bias": True},
        "num_layers": 2, "use_norm_output": True, "output_bias": False,
    },
    "model_class": "GPTBeginEndToks", "pos_enc_type": "shortformer", "causal_mask": True, "extra": None,
}


def make_batch(gen, n):
    """n examples of SEQ+1 tokens: BOS, then random tokens. With probability
    1-UNREP_FRAC a segment r of k in SEG_MIN..SEG_MAX tokens starting at a is
    repeated at b >= a+k (often straight after: BOS r r fill), so induction
    is the only way to predict the copy; the rest stay unrepeated, so the
    loss on unrepeated tokens stays measurable. rep[i, p] is 1 where the
    token at p+1 is a repeated token predictable by induction from p.
    Vectorized: one draw per quantity for the whole batch."""
    toks = torch.randint(1, VOCAB, (n, SEQ + 1), generator=gen)
    toks[:, 0] = 0
    u = torch.rand(n, 4, generator=gen)
    repeated = u[:, 0] >= UNREP_FRAC
    k = SEG_MIN + (u[:, 1] * (SEG_MAX - SEG_MIN + 1)).long()
    room = SEQ + 1 - 2 * k  # >= 1 since 2*SEG_MAX <= SEQ
    a = 1 + (u[:, 2] * room).long()  # a in [1, room]
    # half the time the copy follows at once; else a gap in [0, room - a]
    gap = torch.where(u[:, 3] < 0.5, torch.zeros_like(k), (torch.rand(n, generator=gen) * (room - a + 1)).long())
    b = a + k + gap
    t = torch.arange(SEQ + 1)[None, :]
    copy = repeated[:, None] & (t >= b[:, None]) & (t < (b + k)[:, None])
    src = torch.where(copy, t - (b - a)[:, None], t)
    toks = toks.gather(1, src)
    # input position p in [b, b+k-2] sees a repeat of the token after toks[p-(b-a)]
    p = torch.arange(SEQ)[None, :]
    rep = (repeated[:, None] & (p >= b[:, None]) & (p <= (b + k - 2)[:, None])).float()
    return toks, rep


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(SEED)
        r = lambda *s, std=0.02: torch.nn.Parameter(torch.randn(*s, generator=g) * std)
        self.tok = r(VOCAB, HIDDEN, std=0.1)
        self.pos = r(MAX_POS, HIDDEN, std=0.1)
        self.w = torch.nn.ParameterDict()
        for l in range(2):
            self.w[f"a{l}_q"] = r(HEADS, HEAD_DIM, HIDDEN, std=1 / math.sqrt(HIDDEN))
            self.w[f"a{l}_k"] = r(HEADS, HEAD_DIM, HIDDEN, std=1 / math.sqrt(HIDDEN))
            self.w[f"a{l}_v"] = r(HEADS, HEAD_DIM, HIDDEN, std=1 / math.sqrt(HIDDEN))
            self.w[f"a{l}_o"] = r(HEADS, HIDDEN, HEAD_DIM, std=1 / math.sqrt(HEADS * HEAD_DIM))
            self.w[f"a{l}_ln_scale"] = torch.nn.Parameter(torch.ones(HIDDEN))
            self.w[f"a{l}_ln_bias"] = torch.nn.Parameter(torch.zeros(HIDDEN))
        self.w["final_ln_scale"] = torch.nn.Parameter(torch.ones(HIDDEN))
        self.w["final_ln_bias"] = torch.nn.Parameter(torch.zeros(HIDDEN))
        self.unembed = r(VOCAB, HIDDEN, std=1 / math.sqrt(HIDDEN))

    def state(self):
        """Weights under rust_circuit's names."""
        d = {"t.w.tok_embeds": self.tok, "t.w.pos_embeds": self.pos, "t.w.unembed": self.unembed,
             "final.ln.w.scale": self.w["final_ln_scale"], "final.ln.w.bias": self.w["final_ln_bias"]}
        for l in range(2):
            for x in "qkvo":
                d[f"a{l}.w.{x}"] = self.w[f"a{l}_{x}"]
            d[f"a{l}.ln.w.scale"] = self.w[f"a{l}_ln_scale"]
            d[f"a{l}.ln.w.bias"] = self.w[f"a{l}_ln_bias"]
        return {k: v.detach().clone() for k, v in d.items()}


def layer_norm(x, scale, bias):
    m = x - x.mean(-1, keepdim=True)
    var = (m * m).mean(-1, keepdim=True)
    return m * torch.rsqrt(var + 1e-5) * scale + bias


def causal_mask(n, dtype):
    return (torch.arange(n)[:, None] >= torch.arange(n)[None, :]).to(dtype)


def attn(w, l, x, pos, mask, q_in=None, k_in=None, v_in=None, heads=None):
    """Layer l's attention; q_in/k_in/v_in override the normalised residual
    for that input (scrubbing). Returns (out [b,s,d], probs [b,h,q,k]) and,
    with heads, only those heads' summed output."""
    ln = lambda r: layer_norm(r, w[f"a{l}.ln.w.scale"], w[f"a{l}.ln.w.bias"])
    xq = ln(x if q_in is None else q_in) + pos
    xk = ln(x if k_in is None else k_in) + pos
    xv = ln(x if v_in is None else v_in)
    # one matmul per projection ([b,s,d] @ [d,h*c]): einsum's bmm on these shapes was 5x slower
    q, k, v = (project(t, w[f"a{l}.w.{n}"]) for t, n in ((xq, "q"), (xk, "k"), (xv, "v")))
    scores = q @ k.transpose(-1, -2) / math.sqrt(HEAD_DIM) + (1 - mask) * -10000.0
    probs = torch.softmax(scores, -1)
    comb = probs @ v  # [b,h,q,c]
    wo = w[f"a{l}.w.o"]  # [h,d,c]
    if heads is not None:
        comb, wo = comb[:, heads], wo[heads]
    b, h, s, c = comb.shape
    # (an empty head list gives zeros: reshape's -1 would be ambiguous on 0 elements)
    out = comb.transpose(1, 2).reshape(b, s, h * c) @ wo.permute(0, 2, 1).reshape(h * c, wo.shape[1])
    return out, probs


def project(x, wt):
    """x [b,s,d] through per-head weights wt [h,c,d]: [b,h,s,c]."""
    h, c, d = wt.shape
    return (x @ wt.reshape(h * c, d).T).reshape(x.shape[0], x.shape[1], h, c).transpose(1, 2)


def forward(w, toks, return_probs=False):
    """Logits [b, SEQ, vocab] of input tokens toks [b, SEQ]."""
    n = toks.shape[1]
    x = w["t.w.tok_embeds"][toks]
    pos = w["t.w.pos_embeds"][:n]
    mask = causal_mask(n, x.dtype)
    probs = []
    for l in range(2):
        out, p = attn(w, l, x, pos, mask)
        probs.append(p)
        x = x + out
    x = layer_norm(x, w["final.ln.w.scale"], w["final.ln.w.bias"])
    logits = torch.einsum("bsd,vd->bsv", x, w["t.w.unembed"])
    return (logits, probs) if return_probs else logits


def nll(logits, targets):
    return -torch.log_softmax(logits, -1).gather(-1, targets[..., None])[..., 0]


def induction_scores(probs, toks, rep):
    """Mean attention from each repeated position p to the position just after
    the latest earlier occurrence j of toks[p] (with toks[j+1] == toks[p+1]),
    per head: [heads]."""
    b, h, s, _ = probs.shape
    cur, nxt = toks[:, :s], toks[:, 1:s + 1]
    p = torch.arange(s)[:, None]
    j = torch.arange(s)[None, :]
    match = (cur[:, None, :] == cur[:, :, None]) & (nxt[:, None, :] == nxt[:, :, None]) & (j < p) & (j >= 1)
    last = torch.where(match, j.expand(b, s, s), torch.full_like(match, -1, dtype=torch.long)).max(-1).values  # [b,s]
    use = (rep[:, :s] > 0) & (last >= 0)
    # attention to j+1; j+1 <= p so it is a causal key
    tgt = (last + 1).clamp(max=s - 1)
    att = probs.gather(3, tgt[:, None, :, None].expand(b, h, s, 1))[..., 0]  # [b,h,s]
    return (att * use[:, None]).sum((0, 2)) / max(int(use.sum()), 1)


def prev_token_scores(probs):
    """Mean attention to the previous position, per head: [heads]."""
    s = probs.shape[-1]
    idx = torch.arange(1, s)
    return probs[:, :, idx, idx - 1].mean((0, 2))


def write_safetensors(path, tensors):
    header, off, blobs = {}, 0, []
    for k in sorted(tensors):
        a = np.ascontiguousarray(tensors[k].numpy().astype(np.float32))
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for blob in blobs:
            f.write(blob)


def evaluate(w, gen, n=512):
    toks, rep = make_batch(gen, n)
    with torch.no_grad():
        logits, probs = forward(w, toks[:, :-1], return_probs=True)
        l = nll(logits, toks[:, 1:])
    unrep = torch.ones_like(rep)
    unrep[:, 0] = 0  # the first prediction follows BOS
    unrep = unrep * (1 - rep)
    return {
        "loss_repeated": float((l * rep).sum() / rep.sum()),
        "loss_unrepeated": float((l * unrep).sum() / unrep.sum()),
        "uniform_loss": math.log(VOCAB - 1),
        "induction_score": {f"1.{h}": round(float(s), 4) for h, s in enumerate(induction_scores(probs[1], toks, rep))},
        "induction_score_layer0": {f"0.{h}": round(float(s), 4) for h, s in enumerate(induction_scores(probs[0], toks, rep))},
        "prev_token_score": {f"0.{h}": round(float(s), 4) for h, s in enumerate(prev_token_scores(probs[0]))},
    }


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    model = Model()
    params = list(model.parameters())
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    gen = torch.Generator().manual_seed(SEED + 1)
    os.makedirs(OUT, exist_ok=True)
    t0 = time.time()
    log = []
    for step in range(STEPS):
        lr = LR * min(1.0, (step + 1) / 200) * (0.5 * (1 + math.cos(math.pi * step / STEPS)))
        for g in opt.param_groups:
            g["lr"] = lr
        toks, rep = make_batch(gen, BATCH)
        w = named(model)
        per_tok = nll(forward(w, toks[:, :-1]), toks[:, 1:])
        loss = per_tok.mean()
        total = loss
        if HEAD_L1 > 0:
            total = loss + HEAD_L1 * sum(w[f"a{l}.w.o"].flatten(1).norm(dim=1).sum() for l in range(2))
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 100 == 0 or step == STEPS - 1:
            rl = float((per_tok * rep).sum() / rep.sum())
            print(f"step {step} loss {loss.item():.4f} repeated {rl:.4f} {time.time() - t0:.0f}s", flush=True)
        if step % 1000 == 999:
            # the same held-out draw each time, so the curve is comparable
            ev = evaluate(model.state(), torch.Generator().manual_seed(SEED + 2), n=256)
            ev.update({"step": step + 1, "seconds": round(time.time() - t0, 1)})
            log.append(ev)
            print(json.dumps(ev), flush=True)
            write_safetensors(os.path.join(OUT, "weights.safetensors"), model.state())
        if time.time() - t0 > BUDGET:
            print(f"wall budget {BUDGET:.0f}s reached at step {step + 1}", flush=True)
            break
    state = model.state()
    report = evaluate(state, torch.Generator().manual_seed(SEED + 2))
    report.update({"steps": step + 1, "planned_steps": STEPS, "batch": BATCH, "lr": LR, "seg_min": SEG_MIN,
                   "seg_max": SEG_MAX, "unrep_frac": UNREP_FRAC, "head_l1": HEAD_L1, "seconds": round(time.time() - t0, 1),
                   "seed": SEED, "vocab": VOCAB, "hidden": HIDDEN, "heads": HEADS, "head_dim": HEAD_DIM,
                   "seq": SEQ, "curve": log})
    print(json.dumps(report, indent=1))
    write_safetensors(os.path.join(OUT, "weights.safetensors"), state)
    with open(os.path.join(OUT, "info.json"), "w") as f:
        json.dump(INFO, f)
    with open(os.path.join(OUT, "report.json"), "w") as f:
        json.dump(report, f, indent=1)


def named(model):
    """The live parameters under rust_circuit's names (gradients flow)."""
    d = {"t.w.tok_embeds": model.tok, "t.w.pos_embeds": model.pos, "t.w.unembed": model.unembed,
         "final.ln.w.scale": model.w["final_ln_scale"], "final.ln.w.bias": model.w["final_ln_bias"]}
    for l in range(2):
        for x in "qkvo":
            d[f"a{l}.w.{x}"] = model.w[f"a{l}_{x}"]
        d[f"a{l}.ln.w.scale"] = model.w[f"a{l}_ln_scale"]
        d[f"a{l}.ln.w.bias"] = model.w[f"a{l}_ln_bias"]
    return d


if __name__ == "__main__":
    main()
