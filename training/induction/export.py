"""Export what circopt's day 3 needs from the trained induction model.

Reads the shipped model (examples/day3/model.circ and store/, written by
`go run ./examples/day3` from train.py's output; $WEIGHTS=DIR reads
DIR/weights.safetensors instead) and writes
  examples/day3/data.npz        the scrubbing dataset: 'toks' [N, SEQ+1] token
                                ids as float32 (the circuit one-hot encodes
                                them), 'repeated' [N, SEQ] float32 (1 where
                                the next token repeats an earlier segment:
                                the loss is taken there; every example
                                has a repeated segment)
  testdata/day3/logits_torch.npz  'tok_ids' [2, SEQ] and the float64 logits
                                [2, SEQ, VOCAB] of train.forward on them
Run offline: /usr/bin/python3 training/induction/export.py
"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
N = 2000
DATA_SEED = 1234


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.float32).reshape(v["shape"]).copy())
    return out


def load_weights(dtype=torch.float64):
    """The shipped model's tensors (examples/day3/model.circ and store/), or
    with $WEIGHTS=DIR train.py's DIR/weights.safetensors."""
    if os.environ.get("WEIGHTS"):
        w = read_safetensors(os.path.join(os.environ["WEIGHTS"], "weights.safetensors"))
    else:
        sys.path.insert(0, os.path.join(ROOT, "training"))
        import store_weights  # noqa: E402

        day3 = os.path.join(ROOT, "examples", "day3")
        w = {k: torch.from_numpy(v) for k, v in store_weights.load(os.path.join(day3, "model.circ"), os.path.join(day3, "store")).items()}
    return {k: v.to(dtype) for k, v in w.items()}


def main():
    torch.set_num_threads(1)
    w = load_weights()
    gen = torch.Generator().manual_seed(DATA_SEED)
    # the day's loss is a mean over an example's repeated tokens: keep the
    # examples that have some (train.py also draws unrepeated ones)
    toks, rep = train.make_batch(gen, 2 * N)
    keep = torch.nonzero(rep.sum(1) > 0).flatten()[:N]
    assert len(keep) == N
    toks, rep = toks[keep], rep[keep]
    os.makedirs(os.path.join(ROOT, "examples", "day3"), exist_ok=True)
    np.savez_compressed(os.path.join(ROOT, "examples", "day3", "data.npz"),
                        toks=toks.numpy().astype(np.float32), repeated=rep.numpy().astype(np.float32))
    ids = toks[:2, :-1]
    with torch.no_grad():
        logits = train.forward(w, ids)
    os.makedirs(os.path.join(ROOT, "testdata", "day3"), exist_ok=True)
    np.savez_compressed(os.path.join(ROOT, "testdata", "day3", "logits_torch.npz"),
                        tok_ids=ids.numpy().astype(np.int64), logits=logits.numpy())
    print("wrote data.npz and logits_torch.npz")


if __name__ == "__main__":
    main()
