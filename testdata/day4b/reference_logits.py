"""PyTorch logits of the trained paren balancer on held-out strings, for
circopt's tests (remix/day4b_test.go). Offline only:

    /usr/bin/python3 testdata/day4b/reference_logits.py
writes testdata/day4b/torch_logits.json: the first 32 held-out strings (in
dataset.npz order), their labels and logits, and how many of the first 1000
the model classifies right.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "training", "parens"))
from make_dataset import load_safetensors  # noqa: E402
from train import forward, load_data, tokenize  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-out", default=os.path.join(HERE, "..", "..", "training", "parens", "out"), help="holds heldout_idx.npy")
    ap.add_argument("--weights", default=os.path.join(HERE, "..", "..", "examples", "day4b", "model.circ"), help="the shipped model (store beside it) or a weights.safetensors")
    ap.add_argument("--data", default="/work/shared/remix/parens.tsv.gz")
    args = ap.parse_args()
    torch.set_num_threads(1)
    w = {k: torch.tensor(v, dtype=torch.float32) for k, v in load_safetensors(args.weights).items()}
    strs, labels = load_data(args.data)
    idx = np.load(os.path.join(args.train_out, "heldout_idx.npy"))[:1000]
    toks = torch.tensor(tokenize([strs[i] for i in idx]))
    with torch.no_grad():
        logits = forward(w, toks)
    right = int(((logits[:, 1] > logits[:, 0]).long() == torch.tensor(labels[idx])).sum())
    out = {
        "strings": [strs[i] for i in idx[:32]],
        "labels": [int(labels[i]) for i in idx[:32]],
        "logits": logits[:32].tolist(),
        "right_of_first_1000": right,
    }
    with open(os.path.join(HERE, "torch_logits.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("right of first 1000:", right)


if __name__ == "__main__":
    main()
