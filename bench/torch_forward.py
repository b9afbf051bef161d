#!/usr/bin/env python3
"""PyTorch forward pass (with the per-token loss) of the GPT-2-small-shaped model of
bench/bench_forward.cpp, random weights, timed for at least --min-seconds; prints one JSON line.

    /usr/bin/python3 bench/torch_forward.py --batch 8 --threads 2
"""
import argparse
import json
import resource
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-seconds", type=float, default=3.0)
    args = ap.parse_args()
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    L, D, H, T, V, M = 12, 768, 12, 1024, 50257, 3072
    K = D // H
    g = torch.Generator().manual_seed(0)

    def rnd(*shape):
        return torch.randn(*shape, generator=g) * 0.02

    W_E, W_pos = rnd(V, D), rnd(T, D)
    layers = [dict(ln1=(torch.ones(D), torch.zeros(D)), W_qkv=rnd(D, 3 * D), b_qkv=torch.zeros(3 * D),
                   W_O=rnd(D, D), b_O=torch.zeros(D), ln2=(torch.ones(D), torch.zeros(D)),
                   W_in=rnd(D, M), b_in=torch.zeros(M), W_out=rnd(M, D), b_out=torch.zeros(D)) for _ in range(L)]
    ln_f = (torch.ones(D), torch.zeros(D))
    tokens = torch.randint(V, (args.batch, T + 1), generator=g)
    mask = torch.zeros(T, T).masked_fill_(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))

    @torch.inference_mode()
    def forward():
        x = F.embedding(tokens[:, :-1], W_E) + W_pos
        B = x.shape[0]
        for p in layers:
            a = F.layer_norm(x, (D,), *p["ln1"], 1e-5)
            q, k, v = torch.addmm(p["b_qkv"], a.view(-1, D), p["W_qkv"]).view(B, T, 3, H, K).permute(2, 0, 3, 1, 4)
            # Debian's torch has no fused attention: scores with the causal mask as the GEMM's C.
            scores = torch.baddbmm(mask.expand(B * H, T, T), q.reshape(B * H, T, K),
                                   k.reshape(B * H, T, K).transpose(1, 2), alpha=K ** -0.5)
            z = torch.bmm(torch.softmax(scores, dim=-1), v.reshape(B * H, T, K))
            z = z.view(B, H, T, K).transpose(1, 2).reshape(B * T, D)
            x = x + torch.addmm(p["b_O"], z, p["W_O"]).view(B, T, D)
            m = F.layer_norm(x, (D,), *p["ln2"], 1e-5).view(-1, D)
            h = F.gelu(torch.addmm(p["b_in"], m, p["W_in"]), approximate="tanh")
            x = x + torch.addmm(p["b_out"], h, p["W_out"]).view(B, T, D)
        logits = F.layer_norm(x, (D,), *ln_f, 1e-5).view(-1, D) @ W_E.t()
        return F.cross_entropy(logits, tokens[:, 1:].reshape(-1), reduction="none")

    forward()
    n, t0 = 0, time.perf_counter()
    while n < 2 or time.perf_counter() - t0 < args.min_seconds:
        forward()
        n += 1
    dt = time.perf_counter() - t0
    print(json.dumps({"batch": args.batch, "threads": args.threads, "tokens_per_second": n * args.batch * T / dt,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
