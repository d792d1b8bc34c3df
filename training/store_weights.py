"""Read a shipped model's tensors back from its rust_circuit-format file and
tensor store, for the offline PyTorch cross-checks.

The trained weights are not checked in outside the store: the scripts in
testdata/ read exactly the tensors circopt loads. A model file names each
weight on a line like

    't.w.tok_embeds' [256,64] Array 856673b40a85db4dfe37e4c9
    'a0.w.q_arr' [8,16,64] Array 75bbe5973d1632cc9b958403 ! 'a0.w.q' [...] Symbol ...

(the hash prefix names STORE/<hash>....npy); the weight's name is the one
after '!' when the Array is bound to a Symbol, else the Array's own.
"""
import glob
import os
import re

import numpy as np

LINE = re.compile(r"^\s*'([^']+)' \[([0-9,]*)\] Array ([0-9a-f]+)(?: ! '([^']+)')?")


def load(model_circ, store):
    """{weight name: float32 array} of every Array the model file names."""
    out = {}
    with open(model_circ) as f:
        for n, line in enumerate(f, 1):
            m = LINE.match(line)
            if not m:
                continue
            own, dims, prefix, bound = m.groups()
            files = glob.glob(os.path.join(store, prefix + "*.npy"))
            if len(files) != 1:
                raise SystemExit(f"{model_circ}:{n}: {len(files)} store files match hash {prefix}")
            a = np.load(files[0])
            shape = [int(d) for d in dims.split(",")] if dims else []
            if list(a.shape) != shape:
                raise SystemExit(f"{model_circ}:{n}: store array shape {a.shape}, file says {shape}")
            out[bound or own] = a.astype(np.float32)
    if not out:
        raise SystemExit(f"{model_circ}: no Array lines")
    return out
