#!/usr/bin/python3
"""Writes a small random GPT-2 (Hugging Face state-dict layout) and the
reference outputs of an independent PyTorch forward pass.

Run offline with Debian's torch:  /usr/bin/python3 testdata/gpt2/gpt2_reference.py
Outputs (beside this script): tiny.safetensors, config.json, tokens.npy,
logits.npy ([batch, seq, vocab], float64), loss.npy (mean next-token
cross-entropy, float64).
"""
import json
import math
import os
import struct

import numpy as np
import torch

N_LAYER, N_EMBD, N_HEAD, VOCAB, N_CTX = 2, 64, 4, 101, 32
BATCH, SEQ = 2, 16
OUT = os.path.dirname(os.path.abspath(__file__))


def random_state_dict(g):
    def n(*shape, std=0.2):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * std

    sd = {"transformer.wte.weight": n(VOCAB, N_EMBD, std=0.5),
          "transformer.wpe.weight": n(N_CTX, N_EMBD, std=0.3)}
    for i in range(N_LAYER):
        p = f"transformer.h.{i}."
        sd[p + "ln_1.weight"] = 1 + n(N_EMBD, std=0.1)
        sd[p + "ln_1.bias"] = n(N_EMBD, std=0.1)
        sd[p + "attn.c_attn.weight"] = n(N_EMBD, 3 * N_EMBD)  # Conv1D: [in, out]
        sd[p + "attn.c_attn.bias"] = n(3 * N_EMBD, std=0.1)
        sd[p + "attn.c_proj.weight"] = n(N_EMBD, N_EMBD)
        sd[p + "attn.c_proj.bias"] = n(N_EMBD, std=0.1)
        sd[p + "ln_2.weight"] = 1 + n(N_EMBD, std=0.1)
        sd[p + "ln_2.bias"] = n(N_EMBD, std=0.1)
        sd[p + "mlp.c_fc.weight"] = n(N_EMBD, 4 * N_EMBD)
        sd[p + "mlp.c_fc.bias"] = n(4 * N_EMBD, std=0.1)
        sd[p + "mlp.c_proj.weight"] = n(4 * N_EMBD, N_EMBD, std=0.1)
        sd[p + "mlp.c_proj.bias"] = n(N_EMBD, std=0.1)
    sd["transformer.ln_f.weight"] = 1 + n(N_EMBD, std=0.1)
    sd["transformer.ln_f.bias"] = n(N_EMBD, std=0.1)
    # float32 on disk, as Hugging Face ships GPT-2; the forward pass reads
    # the same rounded values back in float64.
    return {k: v.float().contiguous() for k, v in sd.items()}


def save_safetensors(path, sd):
    header, offset, blobs = {}, 0, []
    for k in sorted(sd):
        b = sd[k].numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(sd[k].shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def gelu_new(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(sd, tokens):
    """GPT-2 forward in float64, written from the paper's equations."""
    w = {k: v.double() for k, v in sd.items()}
    t = "transformer."
    b, s = tokens.shape
    hd = N_EMBD // N_HEAD
    x = w[t + "wte.weight"][tokens] + w[t + "wpe.weight"][:s]
    causal = torch.tril(torch.ones(s, s, dtype=torch.bool))
    for i in range(N_LAYER):
        p = f"{t}h.{i}."
        y = torch.nn.functional.layer_norm(x, (N_EMBD,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps=1e-5)
        qkv = y @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(N_EMBD, dim=-1)
        q, k, v = (z.view(b, s, N_HEAD, hd).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        z = (att @ v).transpose(1, 2).reshape(b, s, N_EMBD)
        x = x + z @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        y = torch.nn.functional.layer_norm(x, (N_EMBD,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps=1e-5)
        h = gelu_new(y @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = torch.nn.functional.layer_norm(x, (N_EMBD,), w[t + "ln_f.weight"], w[t + "ln_f.bias"], eps=1e-5)
    return x @ w[t + "wte.weight"].T  # tied unembedding


def main():
    g = torch.Generator().manual_seed(20261202)
    sd = random_state_dict(g)
    tokens = torch.randint(0, VOCAB, (BATCH, SEQ), generator=g)
    logits = forward(sd, tokens)
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), tokens[:, 1:].reshape(-1))
    save_safetensors(os.path.join(OUT, "tiny.safetensors"), sd)
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump({"model_type": "gpt2", "n_layer": N_LAYER, "n_embd": N_EMBD, "n_head": N_HEAD,
                   "vocab_size": VOCAB, "n_positions": N_CTX, "layer_norm_epsilon": 1e-5}, f, indent=1)
        f.write("\n")
    np.save(os.path.join(OUT, "tokens.npy"), tokens.numpy().astype(np.int64))
    np.save(os.path.join(OUT, "logits.npy"), logits.numpy())
    np.save(os.path.join(OUT, "loss.npy"), np.array(loss.item(), dtype=np.float64))
    print("loss", loss.item(), "logits[0,0,:3]", logits[0, 0, :3].tolist())


if __name__ == "__main__":
    main()
