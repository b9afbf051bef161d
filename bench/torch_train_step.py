#!/usr/bin/python3
"""PyTorch baseline for bench/: seconds per training step of the model of docs/definitions.md
in float32.

One step = forward, backward, gradient clipping at norm 1 (as every training run here clips),
AdamW step, zero_grad: the work the C++ bench times.
The model is written for speed, not for reading (python/circuitscope_ref is the readable one):
each projection is one GEMM over all heads (W_Q and W_K fused), the causal mask and 1/sqrt(d_head)
ride inside the scores GEMM, cross-entropy is PyTorch's fused one. It is meant to be the
strongest plain eager PyTorch 1.13 offers on a CPU, not a strawman.

    /usr/bin/python3 bench/torch_train_step.py --configs tiny,small,tl --threads 2
    /usr/bin/python3 bench/torch_train_step.py --check     # same function as the reference model?

Prints one JSON line per config. Each config runs in its own process, so that peak_rss_mib (the
process's maximum resident set) belongs to that config alone and the runtime settings below
take effect before torch loads.
"""
import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

CONFIGS = {
    "tiny": dict(n_layers=2, d_model=64, n_heads=4, d_head=16, n_ctx=256, d_vocab=2048, batch=16),
    "small": dict(n_layers=2, d_model=128, n_heads=8, d_head=16, n_ctx=512, d_vocab=4096, batch=8),
    "tl": dict(n_layers=2, d_model=512, n_heads=8, d_head=64, n_ctx=1024, d_vocab=48262, batch=4),
    # The quick demo's 2-layer model (src/pipeline/demo.cpp), which the demo trains on one thread.
    "demo": dict(n_layers=2, d_model=128, n_heads=8, d_head=16, n_ctx=256, d_vocab=1024, batch=4,
                 positions="standard", ln=True, threads=1),
    # The same with MLP blocks (the measured MLP pair's 2-layer model), on one thread and on two, and
    # a TransformerLens-size model with MLPs (the gelu-2l shape).
    "demo_mlp": dict(n_layers=2, d_model=128, n_heads=8, d_head=16, n_ctx=256, d_vocab=1024, batch=4,
                     positions="standard", ln=True, d_mlp=512, threads=1),
    "demo_mlp_2t": dict(n_layers=2, d_model=128, n_heads=8, d_head=16, n_ctx=256, d_vocab=1024, batch=4,
                        positions="standard", ln=True, d_mlp=512, threads=2),
    "tl_mlp": dict(n_layers=2, d_model=512, n_heads=8, d_head=64, n_ctx=1024, d_vocab=48262, batch=4,
                   positions="standard", ln=True, d_mlp=2048),
}

# Runtime settings that make Debian's torch several times faster on a small machine; without them
# the baseline would be a strawman (measured here: 5-8x slower on tiny and small). glibc otherwise
# hands every large freed activation back to the kernel and page-faults it in again next step;
# blocks over 128 MiB (TL-size logits) still go back, since keeping them in the heap inflates
# peak RSS through fragmentation by more than the faults cost. Debian links torch to the pthreads build of
# OpenBLAS, whose own worker pool spins after each GEMM and fights torch's OpenMP pool for the
# same cores.
TUNED_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(128 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(1 << 36),
    "MALLOC_TOP_PAD_": str(1 << 30),
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_WAIT_POLICY": "PASSIVE",
}


def build(torch, c, weights=None):
    """Returns (parameters, loss_of(tokens)). `weights`, if given, maps TransformerLens names to
    tensors (shortformer, no normalization) and is copied into the fused layout."""
    import torch.nn.functional as F

    L, D, H, K, T, V, B = (c[k] for k in ("n_layers", "d_model", "n_heads", "d_head", "n_ctx", "d_vocab", "batch"))
    HK = H * K

    def heads_to_cols(W):  # [H, D, K] -> [D, H*K]: head h owns columns h*K .. h*K+K-1
        return W.permute(1, 0, 2).reshape(D, HK)

    if weights is None:
        g = torch.Generator().manual_seed(0)

        def rnd(*shape, std):
            return torch.randn(*shape, generator=g) * std

        W_E, W_pos, W_U = rnd(V, D, std=0.02), rnd(T, D, std=0.02), rnd(D, V, std=D ** -0.5)
        layers = [dict(W_QK=rnd(D, 2 * HK, std=D ** -0.5), W_V=rnd(D, HK, std=D ** -0.5),
                       W_O=rnd(HK, D, std=HK ** -0.5)) for _ in range(L)]
    else:
        W_E, W_pos, W_U = weights["embed.W_E"], weights["pos_embed.W_pos"], weights["unembed.W_U"]
        layers = [dict(W_QK=torch.cat([heads_to_cols(weights[f"blocks.{l}.attn.W_Q"]),
                                       heads_to_cols(weights[f"blocks.{l}.attn.W_K"])], dim=1),
                       W_V=heads_to_cols(weights[f"blocks.{l}.attn.W_V"]),
                       W_O=weights[f"blocks.{l}.attn.W_O"].reshape(HK, D)) for l in range(L)]
    # LayerNorm (weight and bias) before each attention layer and before the unembedding, and
    # learned positions added to the residual stream ("standard"), when the config asks for them.
    ln, standard = c.get("ln", False), c.get("positions", "shortformer") == "standard"
    if ln:
        for layer in layers:
            layer.update(ln_w=torch.ones(D), ln_b=torch.zeros(D))
    # MLP blocks (exact GELU), with LN2 before them in LN models.
    M = c.get("d_mlp", 0)
    for l, layer in enumerate(layers):
        if not M:
            break
        if weights is None:
            layer.update(W_in=rnd(D, M, std=D ** -0.5), b_in=torch.zeros(M), W_out=rnd(M, D, std=M ** -0.5),
                         b_out=torch.zeros(D))
        else:
            layer.update({k: weights[f"blocks.{l}.mlp.{k}"] for k in ("W_in", "b_in", "W_out", "b_out")})
        if ln:
            layer.update(ln2_w=torch.ones(D), ln2_b=torch.zeros(D))
    W_E, W_pos, W_U = (t.detach().clone().requires_grad_(True) for t in (W_E, W_pos, W_U))
    layers = [{k: t.detach().clone().requires_grad_(True) for k, t in layer.items()} for layer in layers]
    ln_final = [torch.ones(D, requires_grad=True), torch.zeros(D, requires_grad=True)] if ln else []
    named = {"W_E": W_E, "W_pos": W_pos, "W_U": W_U}
    named.update({f"ln_final.{i}": t for i, t in enumerate(ln_final)})
    for l, layer in enumerate(layers):
        named.update({f"{l}.{k}": t for k, t in layer.items()})

    # The causal mask enters as the C of the scores GEMM (beta * C + alpha * q k^T), so masking and
    # scaling cost no extra pass over the [B*H, T, T] scores, forward or backward.
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    mask_bias = torch.zeros(T, T).masked_fill_(future, float("-inf")).expand(B * H, T, T)
    scale = 1.0 / math.sqrt(K)

    def loss_of(tokens):
        inputs, targets = tokens[:, :-1], tokens[:, 1:]
        Bt, Tt = inputs.shape
        x = F.embedding(inputs, W_E)  # [B, T, D]
        pos = W_pos[:Tt]
        if standard:
            x = x + pos
        bias = mask_bias if Tt == T and Bt == B else mask_bias[:Bt * H, :Tt, :Tt]
        for layer in layers:
            a = F.layer_norm(x, (D,), layer["ln_w"], layer["ln_b"], 1e-5) if ln else x
            qk = torch.matmul(a if standard else a + pos, layer["W_QK"]).view(Bt, Tt, 2, H, K)
            q = qk[:, :, 0].transpose(1, 2).reshape(Bt * H, Tt, K)
            k = qk[:, :, 1].transpose(1, 2).reshape(Bt * H, Tt, K)
            v = torch.matmul(a, layer["W_V"]).view(Bt, Tt, H, K).transpose(1, 2).reshape(Bt * H, Tt, K)
            scores = torch.baddbmm(bias, q, k.transpose(1, 2), alpha=scale)
            pattern = torch.softmax(scores, dim=-1)
            z = torch.bmm(pattern, v).view(Bt, H, Tt, K).transpose(1, 2).reshape(Bt, Tt, HK)
            x = x + torch.matmul(z, layer["W_O"])
            if M:
                m = F.layer_norm(x, (D,), layer["ln2_w"], layer["ln2_b"], 1e-5) if ln else x
                x = x + torch.matmul(F.gelu(torch.addmm(layer["b_in"], m.reshape(-1, D), layer["W_in"])),
                                     layer["W_out"]).view(Bt, Tt, D) + layer["b_out"]
        if ln:
            x = F.layer_norm(x, (D,), ln_final[0], ln_final[1], 1e-5)
        logits = torch.matmul(x, W_U)
        return F.cross_entropy(logits.view(Bt * Tt, V), targets.reshape(Bt * Tt))

    return named, loss_of


def run_one(name, threads, min_steps, min_seconds, warmup, clip, runtime):
    import torch

    c = CONFIGS[name]
    threads = c.get("threads", threads)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    named, loss_of = build(torch, c)
    params = list(named.values())
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    tokens = torch.randint(c["d_vocab"], (c["batch"], c["n_ctx"] + 1))

    def step():
        loss = loss_of(tokens)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    for _ in range(warmup):
        step()
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        elapsed = time.perf_counter() - t0
        if n >= min_steps and elapsed >= min_seconds:
            break
    step_s = elapsed / n
    tokens_per_step = c["batch"] * c["n_ctx"]
    return {
        "config": name, "threads": threads, "tokens_per_second": tokens_per_step / step_s,
        "step_seconds": step_s, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "torch": torch.__version__, "steps_timed": n, "batch": c["batch"], "seq_len": c["n_ctx"],
        "clip": clip, "runtime": runtime,
    }


def check():
    """The fused layout computes the same loss and gradients as python/circuitscope_ref."""
    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
    from circuitscope_ref import Config, init_params, loss_fn

    torch.set_default_dtype(torch.float64)
    for d_mlp in (0, 11):
        check_one(torch, Config, init_params, loss_fn, d_mlp)


def check_one(torch, Config, init_params, loss_fn, d_mlp):
    c = dict(n_layers=2, d_model=20, n_heads=3, d_head=7, n_ctx=9, d_vocab=23, batch=2, d_mlp=d_mlp)
    cfg = Config(**{k: v for k, v in c.items() if k != "batch"}, positional_embedding_type="shortformer",
                 act_fn="gelu" if d_mlp else None)
    g = torch.Generator().manual_seed(1)
    ref = {k: v.requires_grad_(True) for k, v in
           init_params(cfg, g, dict(W_E=0.8, W_pos=0.8, W_Q=0.4, W_K=0.4, W_V=0.4, W_O=0.4, W_U=0.3,
                                    W_in=0.3, W_out=0.3)).items()}
    tokens = torch.randint(c["d_vocab"], (c["batch"], c["n_ctx"] + 1), generator=g)
    ref_loss = loss_fn(cfg, ref, tokens)[2]
    ref_loss.backward()
    named, loss_of = build(torch, c, {k: v.detach() for k, v in ref.items()})
    loss = loss_of(tokens)
    loss.backward()
    assert abs(loss.item() - ref_loss.item()) < 1e-12, (loss.item(), ref_loss.item())
    D, HK = c["d_model"], c["n_heads"] * c["d_head"]

    def cols(name):
        return ref[name].grad.permute(1, 0, 2).reshape(D, HK)

    expected = {"W_E": ref["embed.W_E"].grad, "W_pos": ref["pos_embed.W_pos"].grad, "W_U": ref["unembed.W_U"].grad}
    for l in range(c["n_layers"]):
        expected[f"{l}.W_QK"] = torch.cat([cols(f"blocks.{l}.attn.W_Q"), cols(f"blocks.{l}.attn.W_K")], dim=1)
        expected[f"{l}.W_V"] = cols(f"blocks.{l}.attn.W_V")
        expected[f"{l}.W_O"] = ref[f"blocks.{l}.attn.W_O"].grad.reshape(HK, D)
        if d_mlp:
            expected.update({f"{l}.{k}": ref[f"blocks.{l}.mlp.{k}"].grad for k in ("W_in", "b_in", "W_out", "b_out")})
    for k, t in named.items():
        err = (t.grad - expected[k]).abs().max().item()
        assert err < 1e-12, f"gradient of {k} differs by {err}"
    print(f"bench model matches the reference: loss {loss.item():.12f}, all {len(named)} gradients")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="tiny,small,tl", help="comma-separated: " + ",".join(CONFIGS))
    ap.add_argument("--threads", type=int, default=2, help="threads (a config that names its own keeps it)")
    ap.add_argument("--min-seconds", type=float, default=3.0,
                    help="time at least this long (the C++ bench's minimum time) ...")
    ap.add_argument("--min-steps", type=int, default=3, help="... and at least this many steps")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--clip", type=float, default=1.0, help="clip the global gradient norm to this (0: off)")
    ap.add_argument("--runtime", choices=("tuned", "stock"), default="tuned",
                    help="tuned: the allocator and threading settings above; stock: the environment as is")
    ap.add_argument("--check", action="store_true", help="compare the bench model with the reference and exit")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.check:
        check()
        return
    names = [s for s in args.configs.split(",") if s]
    for name in names:
        if name not in CONFIGS:
            sys.exit(f"unknown config {name!r}; known: {', '.join(CONFIGS)}")
    if args.threads < 1:
        sys.exit("--threads must be at least 1")
    if args.worker:
        for name in names:
            print(json.dumps(run_one(name, args.threads, args.min_steps, args.min_seconds, args.warmup,
                                     args.clip, args.runtime)), flush=True)
        return
    env = dict(os.environ)
    if args.runtime == "tuned":
        env.update(TUNED_ENV)
    for name in names:
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--configs", name,
               "--threads", str(args.threads), "--min-steps", str(args.min_steps),
               "--min-seconds", str(args.min_seconds), "--warmup", str(args.warmup),
               "--clip", str(args.clip), "--runtime", args.runtime]
        subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
