#!/usr/bin/env python3
"""The ICL score of a run's snapshots on two evaluation sets built from the same held-out documents:
windows at document starts and windows at seeded random offsets inside each document (docs/icl.md,
"The evaluation windows"). Prints one line per snapshot and set; --json writes the numbers.

    PYTHONPATH=build/python python3 python/eval_windows.py RUN [RUN ...] [--snapshots last|all]
"""
import argparse
import json
import sys

import numpy as np

import circuitscope as cs


def per_token_loss(model, tokens, batch=32):
    """[rows, n_ctx] loss in nats of predicting token i+1 from tokens 0..i."""
    out = []
    for s in range(0, len(tokens), batch):
        t = tokens[s:s + batch]
        logits = model.run(t[:, :-1]).astype(np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        logz = np.log(np.exp(logits).sum(axis=-1))
        target = np.take_along_axis(logits, t[:, 1:, None].astype(np.int64), axis=-1)[..., 0]
        out.append(logz - target)
    return np.concatenate(out)


def score(loss, early, late):
    d = loss[:, late[0]:late[1] + 1].mean(axis=1) - loss[:, early[0]:early[1] + 1].mean(axis=1)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d))), \
        float(loss[:, early[0]:early[1] + 1].mean()), float(loss[:, late[0]:late[1] + 1].mean())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--snapshots", choices=["last", "all"], default="last")
    p.add_argument("--json", help="write the numbers here")
    a = p.parse_args()
    results = []
    for root in a.runs:
        run = cs.RunDir(root)
        try:  # the windows the run's ICL analysis used (a shipped run may lack the losses to redo it)
            with open(f"{root}/analysis/icl.json") as f:
                params = json.load(f)["parameters"]
        except FileNotFoundError:
            params = run.icl()["parameters"]
        early, late = params["early_window"], params["late_window"]
        sets = {w: run.eval_set(w) for w in ("start", "random")}
        steps = run.snapshot_steps if a.snapshots == "all" else [run.snapshot_steps[-1]]
        for step in steps:
            model = run.snapshot(step)
            for w, e in sets.items():
                s, se, el, ll = score(per_token_loss(model, e["tokens"]), early, late)
                r = {"run": root, "step": step, "tokens": model.tokens, "windows": w, "n": len(e["tokens"]),
                     "n_candidates": e["n_candidates"], "icl_score": s, "icl_stderr": se,
                     "early_loss": el, "late_loss": ll, "early_window": early, "late_window": late}
                results.append(r)
                print(f"{root}  step {step:>6}  {w:>6} windows ({r['n']} of {r['n_candidates']} documents): "
                      f"ICL {s:+.3f} ± {se:.3f}  (early {el:.3f}, late {ll:.3f})", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
