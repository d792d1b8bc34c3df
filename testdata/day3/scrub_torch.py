"""REMIX day 3's scrubs in PyTorch, on the indices circopt sampled.

  /usr/bin/python3 testdata/day3/scrub_torch.py SAMPLES.npz [float64|float32] > OUT.json

SAMPLES.npz is written by `go run ./cmd/remix -day 3 -dump-samples FILE`:
'ref' (the reference examples), 'datum_<node>' (each experiment's random
datum), 'prev_heads' and 'ind_heads'. The model is train.py's forward on
examples/day3/model.circ and store/ (float64; export.load_weights) and the data
examples/day3/data.npz. Each experiment runs the model on the reference
tokens except on the paths its hypothesis file scrubs, which see the random
datum's tokens; the loss is the mean next-token loss over the reference's
repeated tokens. Prints {"n", "unscrubbed", "rows": {node: mean}, "seconds"}.
"""
import json
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "training", "induction"))
import export  # noqa: E402
import train  # noqa: E402


def main():
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))  # walltime.sh sets it
    s = np.load(sys.argv[1])
    t0 = time.time()
    dtype = torch.float32 if sys.argv[2:] == ["float32"] else torch.float64
    w = export.load_weights(dtype)
    data = np.load(os.path.join(ROOT, "examples", "day3", "data.npz"))
    ids = torch.from_numpy(data["toks"]).long()
    rep_all = torch.from_numpy(data["repeated"]).to(dtype)
    prev = [int(h) for h in s["prev_heads"]]
    ind = [int(h) for h in s["ind_heads"]]
    not_prev = [h for h in range(train.HEADS) if h not in prev]
    not_ind = [h for h in range(train.HEADS) if h not in ind]
    ref = torch.from_numpy(s["ref"]).long()
    n = train.SEQ
    pos = w["t.w.pos_embeds"][:n]
    mask = train.causal_mask(n, dtype)

    def emb(idx):
        return w["t.w.tok_embeds"][ids[idx, :-1]]

    def a0(x, heads=None):
        return train.attn(w, 0, x, pos, mask, heads=heads)[0]

    def loss(logits):
        nll = train.nll(logits, ids[ref, 1:])
        rep = rep_all[ref]
        return ((nll * rep).sum(1) / rep.sum(1)).mean().item()

    def head_out(x):
        x = train.layer_norm(x, w["final.ln.w.scale"], w["final.ln.w.bias"])
        return torch.einsum("bsd,vd->bsv", x, w["t.w.unembed"])

    with torch.no_grad():
        xr = emb(ref)
        r1 = xr + a0(xr)
        rest = r1 + train.attn(w, 1, r1, pos, mask, heads=not_ind)[0]

        def run(q_in=None, k_in=None, v_in=None):
            out = train.attn(w, 1, r1, pos, mask, q_in=q_in, k_in=k_in, v_in=v_in, heads=ind)[0]
            return loss(head_out(rest + out))

        rows = {"unscrubbed": run()}
        for key in s.files:
            if not key.startswith("datum_"):
                continue
            node = key[len("datum_"):]
            d = torch.from_numpy(s[key]).long()
            xd = emb(d)
            mixed = xr + a0(xd)  # embeddings from the reference, a0 from the datum
            k_mixed = xd + a0(xr, prev) + a0(xd, not_prev)
            if node == "model":
                rows[node] = loss(train.forward(w, ids[d, :-1]))
            elif node == "ind":
                rd = xd + a0(xd)
                rows[node] = run(rd, rd, rd)
            elif node == "v":
                rows[node] = run(v_in=mixed)
            elif node == "q":
                rows[node] = run(q_in=mixed)
            elif node == "k":
                rows[node] = run(k_in=k_mixed)
            elif node == "qkv":
                rows[node] = run(mixed, k_mixed, mixed)
            else:
                raise SystemExit(f"unknown experiment node {node!r}")
    unscrubbed = rows.pop("unscrubbed")
    print(json.dumps({"n": len(ref), "dtype": str(dtype), "unscrubbed": unscrubbed, "rows": rows, "seconds": round(time.time() - t0, 3)}, indent=1))


if __name__ == "__main__":
    main()
