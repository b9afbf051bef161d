#!/usr/bin/python3
"""Write tests/data/hf/: tiny random GPT-2 and GPT-NeoX checkpoints in Hugging Face's published
layouts, and the logits an independent forward pass computes from them.

The checkpoints carry Hugging Face's key names, shapes and config.json fields, written without the
`transformers` library (not packaged in Debian): safetensors are serialised here, F32, F16 or BF16.
The forward passes below are written directly on those tensors as Hugging Face defines the two
architectures (Conv1D weights [in, out] for GPT-2; torch Linear [out, in], the fused
query_key_value with rows ordered (head, q/k/v, d_head) and partial rotary for GPT-NeoX); they
share nothing with circuitscope's TransformerLens-named reference, so a wrong mapping in the
importer cannot agree with them by construction.

    /usr/bin/python3 python/make_hf_checkpoints.py            # (re)write tests/data/hf/
    /usr/bin/python3 python/make_hf_checkpoints.py --check    # exit 1 if the committed files differ

Everything is seeded, so a re-run writes identical bytes.
"""
import argparse
import filecmp
import json
import math
import os
import shutil
import struct
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "tests", "data", "hf")
BPE = os.path.join(ROOT, "tests", "data", "bpe")
N_TOKENIZER = 609  # ids of tests/data/bpe (608 is <|endoftext|>)
SEQ = 20

DTYPES = {torch.float32: ("F32", torch.int32), torch.float16: ("F16", torch.int16),
          torch.bfloat16: ("BF16", torch.int16), torch.bool: ("BOOL", torch.uint8),
          torch.int32: ("I32", torch.int32)}


def safetensors_bytes(tensors, metadata=None):
    """Hugging Face's safetensors: u64 header length, JSON header, raw little-endian data."""
    header = {"__metadata__": metadata or {"format": "pt"}}
    chunks, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        tag, same_width_int = DTYPES[t.dtype]
        raw = t.view(same_width_int).numpy().tobytes()
        header[name] = {"dtype": tag, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def write_json(path, obj):
    write(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


# ---- random weights in the published layouts ----

def rand(gen, *shape, scale=0.3, centre=0.0):
    return centre + scale * torch.randn(*shape, generator=gen, dtype=torch.float64)


def gpt2_weights(cfg, gen):
    D, M, V, P = cfg["n_embd"], 4 * cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    w = {"wte.weight": rand(gen, V, D), "wpe.weight": rand(gen, P, D, scale=0.1),
         "ln_f.weight": rand(gen, D, scale=0.1, centre=1.0), "ln_f.bias": rand(gen, D, scale=0.1)}
    for l in range(cfg["n_layer"]):
        p = f"h.{l}."
        for ln in ("ln_1", "ln_2"):
            w[p + ln + ".weight"] = rand(gen, D, scale=0.1, centre=1.0)
            w[p + ln + ".bias"] = rand(gen, D, scale=0.1)
        w[p + "attn.c_attn.weight"] = rand(gen, D, 3 * D)
        w[p + "attn.c_attn.bias"] = rand(gen, 3 * D, scale=0.1)
        w[p + "attn.c_proj.weight"] = rand(gen, D, D)
        w[p + "attn.c_proj.bias"] = rand(gen, D, scale=0.1)
        w[p + "mlp.c_fc.weight"] = rand(gen, D, M)
        w[p + "mlp.c_fc.bias"] = rand(gen, M, scale=0.1)
        w[p + "mlp.c_proj.weight"] = rand(gen, M, D, scale=0.15)
        w[p + "mlp.c_proj.bias"] = rand(gen, D, scale=0.1)
    return w


def neox_weights(cfg, gen):
    D, M, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    w = {"embed_in.weight": rand(gen, V, D), "embed_out.weight": rand(gen, V, D),
         "final_layer_norm.weight": rand(gen, D, scale=0.1, centre=1.0),
         "final_layer_norm.bias": rand(gen, D, scale=0.1)}
    for l in range(cfg["num_hidden_layers"]):
        p = f"layers.{l}."
        for ln in ("input_layernorm", "post_attention_layernorm"):
            w[p + ln + ".weight"] = rand(gen, D, scale=0.1, centre=1.0)
            w[p + ln + ".bias"] = rand(gen, D, scale=0.1)
        w[p + "attention.query_key_value.weight"] = rand(gen, 3 * D, D)
        w[p + "attention.query_key_value.bias"] = rand(gen, 3 * D, scale=0.1)
        w[p + "attention.dense.weight"] = rand(gen, D, D)
        w[p + "attention.dense.bias"] = rand(gen, D, scale=0.1)
        w[p + "mlp.dense_h_to_4h.weight"] = rand(gen, M, D)
        w[p + "mlp.dense_h_to_4h.bias"] = rand(gen, M, scale=0.1)
        w[p + "mlp.dense_4h_to_h.weight"] = rand(gen, D, M, scale=0.15)
        w[p + "mlp.dense_4h_to_h.bias"] = rand(gen, D, scale=0.1)
    return w


# ---- the two architectures' forward passes, as Hugging Face defines them, in float64 ----

def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def causal_attention(q, k, v):
    """q, k, v [heads, T, d_head] -> [T, heads * d_head]."""
    T, d_head = q.shape[1], q.shape[2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(d_head)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    pattern = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return (pattern @ v).transpose(0, 1).reshape(T, -1)


def gpt2_forward(w, cfg, ids):
    D, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    T = len(ids)
    x = w["wte.weight"][ids] + w["wpe.weight"][:T]
    for l in range(cfg["n_layer"]):
        p = f"h.{l}."
        h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # Conv1D: x W + b
        q, k, v = (t.view(T, H, D // H).transpose(0, 1) for t in qkv.split(D, dim=-1))
        x = x + causal_attention(q, k, v) @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        hidden = gelu_new(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + hidden @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    return layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps) @ w["wte.weight"].T


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def neox_rotary(x, rotary_ndims, base):
    """GPT-NeoX's partial rotary on x [heads, T, d_head]: the first rotary_ndims dims turn."""
    T = x.shape[1]
    inv_freq = 1.0 / (base ** (torch.arange(0, rotary_ndims, 2, dtype=torch.float64) / rotary_ndims))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    rot, rest = x[..., :rotary_ndims], x[..., rotary_ndims:]
    return torch.cat((rot * emb.cos() + rotate_half(rot) * emb.sin(), rest), dim=-1)


def neox_forward(w, cfg, ids):
    D, H, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    d_head, T = D // H, len(ids)
    rotary_ndims = int(d_head * cfg["rotary_pct"])
    act = torch.nn.functional.gelu if cfg["hidden_act"] == "gelu" else gelu_new
    x = w["embed_in.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = f"layers.{l}."

        def linear(name, t):  # torch Linear: x Wᵀ + b
            return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        h = layer_norm(x, w[p + "input_layernorm.weight"], w[p + "input_layernorm.bias"], eps)
        qkv = linear("attention.query_key_value", h).view(T, H, 3 * d_head).transpose(0, 1)
        q, k, v = qkv[..., :d_head], qkv[..., d_head:2 * d_head], qkv[..., 2 * d_head:]
        q, k = (neox_rotary(t, rotary_ndims, cfg["rotary_emb_base"]) for t in (q, k))
        attn = linear("attention.dense", causal_attention(q, k, v))
        mlp_in = x if cfg["use_parallel_residual"] else x + attn
        h2 = layer_norm(mlp_in, w[p + "post_attention_layernorm.weight"], w[p + "post_attention_layernorm.bias"], eps)
        x = mlp_in + attn * cfg["use_parallel_residual"] + linear("mlp.dense_4h_to_h", act(linear("mlp.dense_h_to_4h", h2)))
    h = layer_norm(x, w["final_layer_norm.weight"], w["final_layer_norm.bias"], eps)
    return h @ w["embed_out.weight"].T


# ---- the checkpoints ----

GPT2_CONFIG = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 16, "n_head": 4,
               "n_layer": 2, "n_positions": 32, "n_ctx": 32, "n_inner": None, "vocab_size": N_TOKENIZER,
               "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "scale_attn_weights": True,
               "bos_token_id": 608, "eos_token_id": 608, "torch_dtype": "float32"}
NEOX_CONFIG = {"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "hidden_size": 32,
               "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 64,
               "max_position_embeddings": 32, "vocab_size": 616, "rotary_pct": 0.25, "rotary_emb_base": 10000,
               "use_parallel_residual": True, "hidden_act": "gelu", "layer_norm_eps": 1e-5,
               "tie_word_embeddings": False, "bos_token_id": 0, "eos_token_id": 0, "torch_dtype": "float16"}


def stored(weights, dtype):
    """The weights as the file holds them, and as float64 again for the reference."""
    kept = {n: t.to(dtype) for n, t in weights.items()}
    return kept, {n: t.to(torch.float64) for n, t in kept.items()}


def gpt2_key(prefix):
    return lambda name: prefix + name


def neox_key(name):
    """GPTNeoXForCausalLM keeps its unembedding beside the gpt_neox model, not inside it."""
    return name if name == "embed_out.weight" else "gpt_neox." + name


def write_folder(folder, cfg, weights, key, dtype, tokenizer, shards=1, extra=None):
    kept, exact = stored(weights, dtype)
    tensors = {key(n): t for n, t in kept.items()}
    tensors.update(extra or {})
    write_json(os.path.join(folder, "config.json"), cfg)
    for name in tokenizer:
        shutil.copyfile(os.path.join(BPE, name), os.path.join(folder, name))
    if shards == 1:
        write(os.path.join(folder, "model.safetensors"), safetensors_bytes(tensors))
        return exact
    names = sorted(tensors)
    weight_map = {}
    for s in range(shards):
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[s::shards]}
        weight_map.update({n: file for n in part})
        write(os.path.join(folder, file), safetensors_bytes(part))
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    write_json(os.path.join(folder, "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": weight_map})
    return exact


def write_reference(out, name, logits_of, gen, d_vocab):
    ids = torch.randint(0, N_TOKENIZER, (SEQ,), generator=gen)
    logits = logits_of(ids)
    assert logits.shape == (SEQ, d_vocab)
    write(os.path.join(out, "reference", name + ".safetensors"),
          safetensors_bytes({"tokens": ids.to(torch.int32), "logits": logits.to(torch.float32)}))


def make_all(out):
    gen = torch.Generator().manual_seed(20240601)
    vocab_merges = ["vocab.json", "merges.txt"]
    hf_json = ["tokenizer.json"]

    w = gpt2_weights(GPT2_CONFIG, gen)
    exact = write_folder(os.path.join(out, "gpt2"), GPT2_CONFIG, w, gpt2_key(""), torch.float32, vocab_merges)
    write_reference(out, "gpt2", lambda ids: gpt2_forward(exact, GPT2_CONFIG, ids), gen, N_TOKENIZER)

    # Buffers and the tied lm_head, as older exports hold them: the importer must skip them.
    gpt2_extra = {f"transformer.h.{l}.attn.{b}": torch.zeros(1, 1, 32, 32) for l in range(2) for b in ("bias", "masked_bias")}
    w = gpt2_weights(GPT2_CONFIG, gen)
    gpt2_extra["lm_head.weight"] = w["wte.weight"].to(torch.float16)
    exact = write_folder(os.path.join(out, "gpt2_prefixed_f16"), GPT2_CONFIG, w, gpt2_key("transformer."),
                         torch.float16, hf_json, extra=gpt2_extra)
    write_reference(out, "gpt2_prefixed_f16", lambda ids: gpt2_forward(exact, GPT2_CONFIG, ids), gen, N_TOKENIZER)

    neox_extra = {}
    for l in range(2):
        p = f"gpt_neox.layers.{l}.attention."
        neox_extra[p + "rotary_emb.inv_freq"] = torch.ones(1)
        neox_extra[p + "bias"] = torch.ones(1, 1, 32, 32, dtype=torch.bool).tril()
        neox_extra[p + "masked_bias"] = torch.tensor(-1e9)
    w = neox_weights(NEOX_CONFIG, gen)
    exact = write_folder(os.path.join(out, "neox_bf16"), NEOX_CONFIG, w, neox_key, torch.bfloat16, hf_json,
                         extra=neox_extra)
    write_reference(out, "neox_bf16", lambda ids: neox_forward(exact, NEOX_CONFIG, ids), gen, 616)

    sequential = dict(NEOX_CONFIG, use_parallel_residual=False, hidden_act="gelu_new", rotary_pct=0.5,
                      rotary_emb_base=500, torch_dtype="float32")
    w = neox_weights(sequential, gen)
    exact = write_folder(os.path.join(out, "neox_sharded"), sequential, w, neox_key, torch.float32, hf_json, shards=2)
    write_reference(out, "neox_sharded", lambda ids: neox_forward(exact, sequential, ids), gen, 616)

    for step in (0, 512, 1024):
        w = neox_weights(NEOX_CONFIG, gen)
        write_folder(os.path.join(out, "series", f"step{step}"), NEOX_CONFIG, w, neox_key, torch.float16, hf_json)


def same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    if filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)[1:] != ([], []):
        return False
    return all(same_tree(os.path.join(a, d), os.path.join(b, d)) for d in cmp.common_dirs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if --out differs from what this writes")
    args = ap.parse_args()
    if not args.check:
        shutil.rmtree(args.out, ignore_errors=True)
        make_all(args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        make_all(tmp)
        ok = same_tree(tmp, args.out)
    print("tests/data/hf is up to date" if ok else f"{args.out} differs from what {sys.argv[0]} writes")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
