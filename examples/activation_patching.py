"""Activation patching: do the induction heads carry in-context learning?

A passage said twice is predicted far better on its second copy, from context. Corrupt the first
copy (another passage of the same length) and the second copy's loss rises to what the model gets
without that context. Then run the corrupted text again, with one head's output (hook_z) taken
from the clean run: the fraction of the lost loss that comes back is how much of the in-context
prediction that head carries. The passages are the run's held-out evaluation text; by default the
heads tried are those `circuitscope heads` calls induction heads.

    python3 examples/activation_patching.py RUN [--snapshot last] [--heads 1.6,1.7] [--length 40]
"""
import argparse

import numpy as np

import circuitscope as cs


def second_copy_loss(per_token, n):
    """Mean loss predicting the second copy's tokens 2 .. n (tokens: BOS, copy 1, copy 2)."""
    return float(per_token[:, n + 1:].mean())


def patch_head(clean_z, head):
    def hook(z, point):
        z[:, :, head] = clean_z[:, :, head]
    return hook


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="a run folder")
    p.add_argument("--snapshot", default="last", help="a step number or 'last'")
    p.add_argument("--heads", help="layer.head,... to patch (default: the heads named induction)")
    p.add_argument("--length", type=int, default=40, help="tokens in each copy")
    p.add_argument("--seed", type=int, default=0, help="which evaluation passages")
    args = p.parse_args()

    run = cs.open_run(args.run)
    model = run.snapshot(args.snapshot)
    n = min(args.length, (model.cfg.n_ctx - 1) // 2)
    text = run.eval_tokens()
    rows = np.random.default_rng(args.seed).choice(len(text), 2, replace=False)
    first, other = text[rows[0], 1:1 + n], text[rows[1], 1:1 + n]  # past each sequence's first token
    bos = [model.tokenizer.bos_id]
    clean = np.array([bos + list(first) + list(first)])
    corrupted = np.array([bos + list(other) + list(first)])

    if args.heads:
        heads = [tuple(int(x) for x in h.split(".")) for h in args.heads.split(",")]
    else:
        heads = [(h.layer, h.head) for h in cs.heads(model, run).heads if "induction" in h.kinds]
    if not heads:
        raise SystemExit("no induction heads in this snapshot; name heads with --heads")

    layers = sorted({l for l, _ in heads})
    _, cache = model.run_with_cache(clean, names_filter=[f"blocks.{l}.attn.hook_z" for l in layers])
    clean_loss = second_copy_loss(model(clean, return_type="loss", loss_per_token=True), n)
    corrupt_loss = second_copy_loss(model(corrupted, return_type="loss", loss_per_token=True), n)
    print(f"{run.name} step {model.step}: the second copy of a passage of {n} tokens")
    print(f"  clean {clean_loss:.3f} nats, first copy corrupted {corrupt_loss:.3f} nats")
    print(f"  {'patched from the clean run':<28} {'loss':>7} {'restored':>9}")

    def restored(hooks):
        loss = second_copy_loss(model.run_with_hooks(corrupted, fwd_hooks=hooks, return_type="loss",
                                                     loss_per_token=True), n)
        return loss, (corrupt_loss - loss) / (corrupt_loss - clean_loss)

    every = []
    for layer, head in heads:
        hook = (f"blocks.{layer}.attn.hook_z", patch_head(cache[f"blocks.{layer}.attn.hook_z"], head))
        every.append(hook)
        loss, fraction = restored([hook])
        print(f"  {'head %d.%d' % (layer, head):<28} {loss:7.3f} {fraction:9.1%}")
    loss, fraction = restored(every)
    print(f"  {'all %d together' % len(heads):<28} {loss:7.3f} {fraction:9.1%}")


if __name__ == "__main__":
    main()
