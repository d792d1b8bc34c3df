"""What the PyTorch timing scripts share: pinning threads and timing reps.

pin_threads must run before torch is imported: OpenBLAS reads
OPENBLAS_NUM_THREADS when it loads, and torch.set_num_threads alone leaves
its workers on (timing.txt: 176 ms wall but 356 cpu-ms with one "thread").
"""
import json
import math
import os
import statistics
import sys
import time


def pin_threads(argv=None):
    """Sets OPENBLAS/OMP/MKL_NUM_THREADS from the -threads N argument
    (default 1) and returns N; call before importing torch."""
    argv = sys.argv if argv is None else argv
    n = 1
    for i, a in enumerate(argv[:-1]):
        if a in ("-threads", "--threads"):
            n = int(argv[i + 1])
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[k] = str(n)
    return n


def time_reps(f, reps):
    """Median wall seconds of f() over reps calls, and CPU seconds per call
    (every thread of the process)."""
    times = []
    c0 = time.process_time()
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), (time.process_time() - c0) / reps


def summary(v):
    """The mean of a torch vector and its standard error, as circopt's."""
    n = v.shape[0]
    return {"mean": v.mean().item(), "stderr": (v.std() / math.sqrt(n)).item()}


def check_agreement(got, want, n, tol):
    """Prints both scrub results and exits unless they agree to tol (relative)."""
    import torch

    worst = abs(got["loss_recovered"] - want["loss_recovered"]) / abs(want["loss_recovered"])
    for k in ("original", "scrubbed", "random"):
        for q in ("mean", "stderr"):
            worst = max(worst, abs(got[k][q] - want[k][q]) / abs(want[k][q]))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; n {n}")
    print("torch  ", json.dumps(got))
    print("circopt", json.dumps({k: want[k] for k in got}))
    print(f"largest relative difference {worst:.2e}")
    if worst > tol:
        raise SystemExit("torch and circopt disagree")


def timing_main(label, fixture, build, extra=()):
    """A day's timing script: parse DIR [-reps R] [-threads N] (and extra
    (flag, default) pairs), build(args) -> (scrub, n) where scrub() returns a
    result like circopt's, check it against DIR/<fixture>.json, time it."""
    import argparse

    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("dir", help=f"what TestWriteScrubTimingFixture wrote: {fixture}.npz, {fixture}.json")
    for flag, default in extra:
        ap.add_argument(flag, default=default)
    ap.add_argument("-reps", type=int, default=5)
    ap.add_argument("-threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    scrub, n = build(args)
    with open(os.path.join(args.dir, fixture + ".json")) as f:
        want = json.load(f)
    check_agreement(scrub(), want, n, 1e-3)
    wall, cpu = time_reps(scrub, args.reps)
    print(f"{label} eval median {wall * 1e3:.1f} ms/op ({cpu * 1e3:.1f} cpu-ms/op)  reps {args.reps} threads {args.threads}")
