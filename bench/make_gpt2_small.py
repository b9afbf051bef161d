#!/usr/bin/python3
"""Write a Hugging Face GPT-2 folder of GPT-2 small's shape (12 layers, d_model 768, 12 heads of 64,
n_ctx 1024, 50,257 ids) with random weights and a byte-level BPE tokenizer of the same size, for
timing `circuitscope import`, `eval` and `analyze` on a vocabulary of that size
(bench/run_analyze_benchmark.sh).

    /usr/bin/python3 bench/make_gpt2_small.py --out /tmp/gpt2-small-random

The weights are GPT-2's initialisation (normal, std 0.02; LayerNorm scales 1, biases 0), float32,
under GPT-2's key names (python/make_hf_checkpoints.py writes the small test fixtures the same
way). The tokenizer is not GPT-2's (not downloadable here): its 50,000 merges are made up, letter
pairs, then letter triples with and without a leading space, so that English text splits into
many different ids of one to four letters, as it does with GPT-2's. Seeded: a re-run writes the
same bytes.
"""
import argparse
import itertools
import json
import os
import string
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
from bpe_reference import END_OF_TEXT, build_vocab  # noqa: E402
from make_hf_checkpoints import safetensors_bytes, write, write_json  # noqa: E402

L, D, H, T, V = 12, 768, 12, 1024, 50257
N_MERGES = V - 256 - 1  # the byte alphabet and <|endoftext|> take the rest


def made_up_merges():
    """Each merge joins two tokens that earlier merges (or the byte alphabet) made: "x y", "Ġ x",
    "Ġx y", "xy z", "Ġxy z", then "Ġxyz w" until there are N_MERGES."""
    letters, space = string.ascii_lowercase, "Ġ"  # Ġ: the byte alphabet's character for ' '
    merges = [(a, b) for a, b in itertools.product(letters, letters)]
    merges += [(space, a) for a in letters]
    merges += [(space + a, b) for a, b in itertools.product(letters, letters)]
    merges += [(a + b, c) for a, b, c in itertools.product(letters, letters, letters)]
    merges += [(space + a + b, c) for a, b, c in itertools.product(letters, letters, letters)]
    for a, b, c, d in itertools.product(letters, letters, letters, letters):
        if len(merges) == N_MERGES:
            break
        merges.append((space + a + b + c, d))
    assert len(merges) == N_MERGES
    return merges


def weights(gen):
    def normal(*shape):
        return torch.randn(*shape, generator=gen) * 0.02

    w = {"wte.weight": normal(V, D), "wpe.weight": normal(T, D) * 0.5,
         "ln_f.weight": torch.ones(D), "ln_f.bias": torch.zeros(D)}
    for l in range(L):
        p = f"h.{l}."
        for ln in ("ln_1", "ln_2"):
            w[p + ln + ".weight"], w[p + ln + ".bias"] = torch.ones(D), torch.zeros(D)
        w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"] = normal(D, 3 * D), torch.zeros(3 * D)
        w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"] = normal(D, D), torch.zeros(D)
        w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"] = normal(D, 4 * D), torch.zeros(4 * D)
        w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"] = normal(4 * D, D), torch.zeros(D)
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="folder to write (config.json, model.safetensors, vocab.json, merges.txt)")
    args = ap.parse_args()
    merges = made_up_merges()
    vocab = build_vocab(merges)
    assert len(vocab) == V and vocab[END_OF_TEXT] == V - 1
    write_json(os.path.join(args.out, "config.json"), {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": D, "n_head": H, "n_layer": L,
        "n_positions": T, "n_ctx": T, "n_inner": None, "vocab_size": V, "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5, "scale_attn_weights": True, "bos_token_id": V - 1, "eos_token_id": V - 1,
        "torch_dtype": "float32"})
    write(os.path.join(args.out, "vocab.json"), json.dumps(vocab, ensure_ascii=False))
    write(os.path.join(args.out, "merges.txt"), "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    write(os.path.join(args.out, "model.safetensors"), safetensors_bytes(weights(torch.Generator().manual_seed(124))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
