#!/usr/bin/python3
"""Write tests/data/reference.safetensors: what the C++ engine must reproduce.

For each case: initial weights, a token batch, and the float64 reference logits, per-token loss,
mean loss, gradient of every parameter, and the weights after ten AdamW steps on that batch.
Cases 0-6 are attention-only models; the later ones add MLP blocks, biases, parallel blocks and
partial rotary. New cases go at the end, so the earlier ones keep their indices and tensors.
Everything is computed in float64 with one thread, so a re-run on the same machine and torch build
writes the identical file.

    /usr/bin/python3 python/make_reference.py            # (re)write the file
    /usr/bin/python3 python/make_reference.py --check    # exit 1 if the committed file differs
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from circuitscope_ref import Config, forward, loss_fn, init_params, param_names, param_shape  # noqa: E402
from circuitscope_ref import safetensors_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "tests", "data", "reference.safetensors")

# In cases 0-6 n_heads * d_head == d_model (3 * 8 = 24). The later cases have two heads
# (2 * 8 = 16 != 24) and, with MLP blocks, d_mlp = 32, so an engine that ties any two of these sizes
# fails there.
SIZES = dict(n_heads=3, d_model=24, d_head=8, n_ctx=12, d_vocab=37)
MLP_SIZES = dict(SIZES, n_heads=2, d_mlp=32)
BATCH, SEQ_LEN = 3, 10  # SEQ_LEN < n_ctx: the unused W_pos rows must get exactly zero gradient
LR, WD, CLIP = 1e-2, 0.1, 1.0
BETAS, ADAM_EPS, ADAMW_STEPS = (0.9, 0.95), 1e-8, 10


def _case(sizes, pos, norm, n_layers, **options):
    return dict(sizes, positional_embedding_type=pos, normalization_type=norm, n_layers=n_layers, **options)


CASES = [  # Config arguments, one dict per case; append only (the C++ test addresses cases by index)
    _case(SIZES, "standard", None, 2),
    _case(SIZES, "shortformer", None, 2),
    _case(SIZES, "rotary", None, 2),
    _case(SIZES, "shortformer", "LN", 2),
    _case(SIZES, "standard", "LNPre", 1),
    _case(SIZES, "shortformer", None, 0),
    _case(SIZES, "rotary", "LN", 3),
    # Each act_fn, normalization, position mode and block kind in a few mixes. Biases only come
    # with full rotary: anywhere else part of b_K has no gradient in exact arithmetic (see
    # check_conditioning), which no engine can reproduce through AdamW.
    _case(MLP_SIZES, "shortformer", None, 1, act_fn="gelu"),
    _case(MLP_SIZES, "standard", "LN", 2, act_fn="gelu_new"),
    _case(MLP_SIZES, "rotary", "LNPre", 2, act_fn="relu", biases=True),
    _case(MLP_SIZES, "rotary", "LN", 2, act_fn="gelu", parallel_attn_mlp=True, rotary_dim=4),
    _case(MLP_SIZES, "shortformer", "LN", 3, act_fn="gelu_new", parallel_attn_mlp=True),
    _case(MLP_SIZES, "standard", None, 2, act_fn="relu", parallel_attn_mlp=True),
    # Base 100 rather than 10000: with rotary_dim 4 the second pair then turns visibly within 10
    # positions, and an engine that ignores rotary_base (or divides by d_head) fails.
    _case(MLP_SIZES, "rotary", None, 1, act_fn="gelu_new", rotary_dim=4, rotary_base=100.0),
    _case(MLP_SIZES, "rotary", "LN", 2, act_fn="gelu", parallel_attn_mlp=True, biases=True),
    # Biases without MLP blocks.
    _case(dict(SIZES, n_heads=2), "rotary", None, 2, biases=True),
]
# Large enough that attention patterns are far from uniform (a wrong mask, scale or rotation
# changes the logits a lot), small enough that softmax is not saturated (its gradient still
# matters). Normalized models feed unit-variance rows to W_Q/W_K, hence smaller weights there.
# W_in makes the MLP's pre-activations about unit-variance (mostly in GELU's curved range
# |u| < 3, neither saturated nor linear); W_out makes its output about as large as the stream.
# Without normalization the stream's rows are larger than unit-variance, hence a smaller W_in.
STD = {
    None: dict(W_E=0.8, W_pos=0.8, W_Q=0.35, W_K=0.35, W_V=0.3, W_O=0.3, W_U=0.15, W_in=0.15, W_out=0.2),
    "LNPre": dict(W_E=0.8, W_pos=0.8, W_Q=0.3, W_K=0.3, W_V=0.4, W_O=0.4, W_U=0.3, W_in=0.25, W_out=0.2),
    "LN": dict(W_E=0.8, W_pos=0.8, W_Q=0.3, W_K=0.3, W_V=0.4, W_O=0.4, W_U=0.3, W_in=0.25, W_out=0.2),
}
# Not decayed by AdamW: LayerNorm scales and biases, and every other bias.
NO_DECAY_SUFFIXES = ("w", "b", "b_Q", "b_K", "b_V", "b_O", "b_in", "b_out", "b_U")


def case_config(i):
    return Config(**CASES[i])


def decayed(name):
    return name.rsplit(".", 1)[1] not in NO_DECAY_SUFFIXES


def naive_logits(cfg, params, tokens):
    """Second forward written as loops over positions and heads, one vector at a time, to catch a
    slip in the einsum version (transposed head axes, mask direction, rotary pairing, where a bias
    or the MLP's input comes from). Activations go through `math` one scalar at a time."""
    B, T = tokens.shape
    half = cfg.rotary_dim // 2
    shortformer = cfg.positional_embedding_type == "shortformer"
    rotary = cfg.positional_embedding_type == "rotary"

    def rot(vec, p):
        # Dims m and m + rotary_dim/2 turn together for m < rotary_dim/2; the rest stay.
        out = vec.clone()
        for m in range(half):
            theta = p * cfg.rotary_base ** (-2.0 * m / cfg.rotary_dim)
            c, s = math.cos(theta), math.sin(theta)
            out[m] = vec[m] * c - vec[m + half] * s
            out[m + half] = vec[m + half] * c + vec[m] * s
        return out

    def norm(vec, w, b):
        if cfg.normalization_type is None:
            return vec
        mu = vec.mean()
        var = ((vec - mu) ** 2).mean()
        out = (vec - mu) / math.sqrt(var.item() + 1e-5)
        return out * w + b if cfg.normalization_type == "LN" else out

    def bias(name):
        # A bias the config leaves out adds nothing.
        return params[name] if name in params else torch.zeros(param_shape(cfg, name))

    def act(u):
        if cfg.act_fn == "gelu":
            return 0.5 * u * (1.0 + math.erf(u / math.sqrt(2.0)))
        if cfg.act_fn == "gelu_new":
            return 0.5 * u * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (u + 0.044715 * u ** 3)))
        return max(u, 0.0)

    def mlp(l, vec):
        u = norm(vec, params.get(f"blocks.{l}.ln2.w"), params.get(f"blocks.{l}.ln2.b"))
        u = u @ params[f"blocks.{l}.mlp.W_in"] + params[f"blocks.{l}.mlp.b_in"]
        post = torch.tensor([act(x) for x in u.tolist()])
        return post @ params[f"blocks.{l}.mlp.W_out"] + params[f"blocks.{l}.mlp.b_out"]

    out = torch.zeros(B, T, cfg.d_vocab)
    for bi in range(B):
        resid = [params["embed.W_E"][tokens[bi, t]].clone() for t in range(T)]
        if cfg.positional_embedding_type == "standard":
            resid = [resid[t] + params["pos_embed.W_pos"][t] for t in range(T)]
        for l in range(cfg.n_layers):
            a = [norm(r, params.get(f"blocks.{l}.ln1.w"), params.get(f"blocks.{l}.ln1.b")) for r in resid]
            qk_in = [a[t] + params["pos_embed.W_pos"][t] for t in range(T)] if shortformer else a
            attn_out = [bias(f"blocks.{l}.attn.b_O").clone() for _ in range(T)]
            for h in range(cfg.n_heads):
                WQ, WK = params[f"blocks.{l}.attn.W_Q"][h], params[f"blocks.{l}.attn.W_K"][h]
                WV, WO = params[f"blocks.{l}.attn.W_V"][h], params[f"blocks.{l}.attn.W_O"][h]
                bQ, bK = bias(f"blocks.{l}.attn.b_Q")[h], bias(f"blocks.{l}.attn.b_K")[h]
                bV = bias(f"blocks.{l}.attn.b_V")[h]
                for i in range(T):
                    q = qk_in[i] @ WQ + bQ
                    if rotary:
                        q = rot(q, i)
                    s = []
                    for j in range(i + 1):
                        k = qk_in[j] @ WK + bK
                        if rotary:
                            k = rot(k, j)
                        s.append((q @ k).item() / math.sqrt(cfg.d_head))
                    m = max(s)
                    e = [math.exp(x - m) for x in s]
                    tot = sum(e)
                    z = sum((e[j] / tot) * (a[j] @ WV + bV) for j in range(i + 1))
                    attn_out[i] = attn_out[i] + z @ WO
            if cfg.attn_only:
                resid = [resid[t] + attn_out[t] for t in range(T)]
            elif cfg.parallel_attn_mlp:
                resid = [resid[t] + attn_out[t] + mlp(l, resid[t]) for t in range(T)]
            else:
                mid = [resid[t] + attn_out[t] for t in range(T)]
                resid = [mid[t] + mlp(l, mid[t]) for t in range(T)]
        for t in range(T):
            x = norm(resid[t], params.get("ln_final.w"), params.get("ln_final.b"))
            out[bi, t] = x @ params["unembed.W_U"] + bias("unembed.b_U")
    return out


def check_conditioning(grads):
    """Refuse a case whose gradient has entries that are zero in exact arithmetic but roundoff in
    floating point. Without rotary (or in the dims partial rotary leaves alone) b_K adds the same
    q . b_K to every score of a row, which no softmax sees, so its gradient is roundoff: AdamW
    divides that by its own square root and moves b_K by about lr a step in a direction no other
    implementation reproduces. Exact zeros (unused W_pos rows, dead ReLU units) are fine."""
    scale = max(g.abs().max().item() for g in grads.values())
    for name, g in grads.items():
        noise = (g != 0) & (g.abs() < 1e-12 * scale)
        assert not noise.any(), f"{name}: {int(noise.sum())} gradient entries are roundoff (|g| < 1e-12 * {scale:.2g})"


def finite_difference_check(cfg, params, tokens, grads, gen, h=1e-6):
    """Central differences on the mean loss for a few coordinates of every tensor: the largest
    gradient entry, two random ones, and (for W_pos) a row past the sequence, which must be 0."""
    worst = 0.0
    for name in param_names(cfg):
        g = grads[name]
        flat = g.reshape(-1)
        idx = [int(flat.abs().argmax())] + [int(x) for x in torch.randint(flat.numel(), (2,), generator=gen)]
        if name == "pos_embed.W_pos":
            idx.append(SEQ_LEN * cfg.d_model + 5)
        for k in idx:
            p = params[name].reshape(-1)
            old = p[k].item()
            with torch.no_grad():
                p[k] = old + h
                lp = loss_fn(cfg, params, tokens)[2].item()
                p[k] = old - h
                lm = loss_fn(cfg, params, tokens)[2].item()
                p[k] = old
            fd = (lp - lm) / (2 * h)
            ag = flat[k].item()
            err = abs(fd - ag)
            assert err <= 1e-7 + 1e-6 * abs(ag), f"{name}[{k}]: autograd {ag!r} vs finite difference {fd!r}"
            worst = max(worst, err / max(abs(ag), 1e-3))
    return worst


def adamw_by_hand(cfg, init, tokens):
    """The ten steps written out, to pin down torch's exact semantics for other implementations:
    clip scale = min(1, clip / (norm + 1e-6)); decay p *= 1 - lr*wd (not for LayerNorm parameters
    or biases) before the Adam update;
    eps added after dividing sqrt(v) by sqrt(1 - beta2^t)."""
    names = param_names(cfg)
    p = {n: t.clone() for n, t in init.items()}
    m = {n: torch.zeros_like(t) for n, t in p.items()}
    v = {n: torch.zeros_like(t) for n, t in p.items()}
    b1, b2 = BETAS
    for step in range(1, ADAMW_STEPS + 1):
        leaves = {n: t.clone().requires_grad_(True) for n, t in p.items()}
        loss_fn(cfg, leaves, tokens)[2].backward()
        g = {n: torch.zeros_like(leaves[n]) if leaves[n].grad is None else leaves[n].grad for n in names}
        norm = math.sqrt(sum((g[n] ** 2).sum().item() for n in names))
        scale = min(1.0, CLIP / (norm + 1e-6))
        for n in names:
            gn = g[n] * scale
            if decayed(n):
                p[n] = p[n] * (1 - LR * WD)
            m[n] = b1 * m[n] + (1 - b1) * gn
            v[n] = b2 * v[n] + (1 - b2) * gn * gn
            denom = (v[n].sqrt() / math.sqrt(1 - b2 ** step)) + ADAM_EPS
            p[n] = p[n] - (LR / (1 - b1 ** step)) * m[n] / denom
    return p


def build_case(i, tensors, metadata, verbose):
    cfg = case_config(i)
    gen = torch.Generator().manual_seed(20240 + i)
    init = init_params(cfg, gen, STD[cfg.normalization_type])
    tokens = torch.randint(cfg.d_vocab, (BATCH, SEQ_LEN + 1), generator=gen)
    names = param_names(cfg)
    prefix = f"case{i}."

    params = {n: t.clone().requires_grad_(True) for n, t in init.items()}
    cache = {}
    logits, per_token, loss = loss_fn(cfg, params, tokens)
    forward(cfg, params, tokens[:, :-1], cache)
    loss.backward()
    # A parameter the loss never reads (W_pos with 0 shortformer layers) has a zero gradient, not
    # none: torch's AdamW would otherwise skip it and not decay it, unlike an engine with one
    # gradient buffer.
    grads = {n: torch.zeros_like(params[n]) if params[n].grad is None else params[n].grad.detach().clone()
             for n in names}

    with torch.no_grad():
        naive = naive_logits(cfg, {n: t.detach() for n, t in params.items()}, tokens[:, :-1])
    naive_err = (naive - logits.detach()).abs().max().item()
    assert naive_err < 1e-10, f"case {i}: einsum and loop forwards disagree by {naive_err}"
    if "pos_embed.W_pos" in grads:
        assert torch.all(grads["pos_embed.W_pos"][SEQ_LEN:] == 0), "unused W_pos rows got gradient"
    check_conditioning(grads)
    fd_worst = finite_difference_check(cfg, {n: t.detach().clone() for n, t in init.items()}, tokens, grads,
                                       torch.Generator().manual_seed(7 + i))

    # AdamW exactly as torch does it; LayerNorm scales and biases, and all other biases, are not decayed.
    opt_params = {n: t.clone().requires_grad_(True) for n, t in init.items()}
    decay = [opt_params[n] for n in names if decayed(n)]
    no_decay = [opt_params[n] for n in names if not decayed(n)]
    groups = [{"params": decay, "weight_decay": WD}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    opt = torch.optim.AdamW(groups, lr=LR, betas=BETAS, eps=ADAM_EPS)
    norms, losses = [], []
    for _ in range(ADAMW_STEPS):
        opt.zero_grad(set_to_none=True)
        step_loss = loss_fn(cfg, opt_params, tokens)[2]
        step_loss.backward()
        for p in opt_params.values():
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        norms.append(torch.nn.utils.clip_grad_norm_(list(opt_params.values()), CLIP).item())
        losses.append(step_loss.item())
        opt.step()

    by_hand = adamw_by_hand(cfg, init, tokens)
    adam_err = max((by_hand[n] - opt_params[n].detach()).abs().max().item() for n in names)
    assert adam_err < 1e-12, f"case {i}: torch AdamW and the written-out update differ by {adam_err}"

    for n in names:
        tensors[prefix + n] = init[n].numpy()
    tensors[prefix + "tokens"] = tokens.to(torch.int32).numpy()
    tensors[prefix + "ref.logits"] = logits.detach().numpy()
    tensors[prefix + "ref.loss_per_token"] = per_token.detach().numpy()
    tensors[prefix + "ref.loss"] = loss.detach().reshape(()).numpy()
    for n in names:
        tensors[prefix + "ref.grad." + n] = grads[n].numpy()
    for n in names:
        tensors[prefix + "ref.adamw10." + n] = opt_params[n].detach().numpy()

    config = json.loads(cfg.to_json())
    config.update(batch=BATCH, seq_len=SEQ_LEN, lr=LR, wd=WD, clip=CLIP, betas=list(BETAS), eps=ADAM_EPS,
                  adamw_steps=ADAMW_STEPS, ln_eps=1e-5, clip_eps=1e-6,
                  no_weight_decay="LayerNorm w and b; biases b_Q b_K b_V b_O b_in b_out b_U")
    metadata[prefix + "config"] = json.dumps(config, sort_keys=True)
    metadata[prefix + "grad_norms"] = json.dumps(norms)  # before clipping, one per AdamW step
    metadata[prefix + "adamw_losses"] = json.dumps(losses)  # mean loss before each step

    if verbose:
        clipped = sum(n > CLIP for n in norms)
        sharp = ""
        if cfg.n_layers:
            pats = [cache[f"blocks.{l}.attn.hook_pattern"] for l in range(cfg.n_layers)]
            mx = torch.stack([p[:, :, 2:, :].max(-1).values.mean() for p in pats])
            sharp = f" mean max-attention per layer (pos>=2) {[round(v, 2) for v in mx.tolist()]}"
        mlp = ""
        if not cfg.attn_only:
            pres = [cache[f"blocks.{l}.mlp.hook_pre"] for l in range(cfg.n_layers)]
            mlp = (f" mlp pre-act std per layer {[round(u.std().item(), 2) for u in pres]}"
                   f" (share |u|>3 {[round((u.abs() > 3).double().mean().item(), 2) for u in pres]})")
        kind = "attn-only" if cfg.attn_only else f"{cfg.act_fn}{' parallel' if cfg.parallel_attn_mlp else ''}"
        print(f"case {i}: {cfg.positional_embedding_type:11s} {str(cfg.normalization_type):5s} "
              f"{cfg.n_layers} layers {kind} rotary_dim {cfg.rotary_dim} biases {cfg.biases}  "
              f"loss {loss.item():.4f} -> {losses[-1]:.4f}  "
              f"grad norm {norms[0]:.3f} (clipped {clipped}/{ADAMW_STEPS} steps)  "
              f"fd worst rel err {fd_worst:.1e}  loop-vs-einsum {naive_err:.1e}  "
              f"AdamW torch-vs-by-hand {adam_err:.1e}{sharp}{mlp}")
    return norms


def build(verbose=True):
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # fixed reduction order: the same bytes on every run
    torch.manual_seed(0)
    tensors, metadata = {}, {"cases": str(len(CASES)), "format": "circuitscope reference v1"}
    any_clipped = False
    for i in range(len(CASES)):
        norms = build_case(i, tensors, metadata, verbose)
        any_clipped |= any(n > CLIP for n in norms)
    assert any_clipped, "no case exercises gradient clipping"
    return safetensors_io.dumps(tensors, metadata)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="compare with the existing file instead of writing")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    blob = build(verbose=not args.quiet)
    digest = hashlib.sha256(blob).hexdigest()
    if args.check:
        with open(args.out, "rb") as f:
            old = f.read()
        if old != blob:
            print(f"{args.out} differs from a fresh build (sha256 {digest})", file=sys.stderr)
            sys.exit(1)
        print(f"{args.out} matches a fresh build (sha256 {digest})")
        return
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, args.out)
    back, meta = safetensors_io.loads(blob)
    assert meta["cases"] == str(len(CASES)) and len(back) > 0
    print(f"wrote {args.out}: {len(back)} tensors, {len(blob)} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
