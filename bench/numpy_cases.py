"""Times bench cases in numpy for circopt's bench table.

Reads a JSON list of {"name", "kind", "shapes", "reps"} on stdin and prints
{"name": median_seconds} as JSON. Kinds: "chain" (one einsum over a chain
of matrices, optimize=True), "batched" (einsum bij,bjk->bik, optimize=True),
"mlp" (relu(x@W1 + b1)@W2 + b2 + x with matmul).
"""
import json
import sys
import time

import numpy as np


def run(job):
    rng = np.random.default_rng(0)
    ops = [rng.standard_normal(s, dtype=np.float32) for s in job["shapes"]]
    kind = job["kind"]
    if kind == "chain":
        letters = "abcdefghij"
        terms = [letters[i:i + 2] for i in range(len(ops))]
        spec = ",".join(terms) + "->a" + letters[len(ops)]
        f = lambda: np.einsum(spec, *ops, optimize=True)
    elif kind == "batched":
        f = lambda: np.einsum("bij,bjk->bik", *ops, optimize=True)
    elif kind == "mlp":
        x, w1, w2 = ops
        b1 = np.zeros(w1.shape[1], dtype=np.float32)
        b2 = np.zeros(w2.shape[1], dtype=np.float32)
        f = lambda: np.maximum(x @ w1 + b1, 0) @ w2 + b2 + x
    else:
        raise SystemExit("unknown kind " + kind)
    f()
    ts = []
    for _ in range(job["reps"]):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    jobs = json.load(sys.stdin)
    print(json.dumps({j["name"]: run(j) for j in jobs}))


if __name__ == "__main__":
    main()
