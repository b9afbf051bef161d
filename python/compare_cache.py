#!/usr/bin/env python3
"""Runs a snapshot on evaluation sequences twice: with the circuitscope module (float32, the C++
engine) and with the independent PyTorch model in float64, and prints the largest difference of
every activation both compute, under its TransformerLens hook name.

    PYTHONPATH=build/python /usr/bin/python3 python/compare_cache.py RUN_DIR [N_SEQUENCES] [SNAPSHOT]
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
import circuitscope as cs  # noqa: E402
from circuitscope_ref import model as ref  # noqa: E402
from circuitscope_ref.safetensors_io import loads  # noqa: E402


def main(run_dir: str, n: int, which: str) -> None:
    run = cs.open_run(run_dir)
    model = run.snapshot(int(which) if which.isdigit() else which)
    m = model.cfg
    cfg = ref.Config.from_run_config(m.to_dict())
    with open(os.path.join(run_dir, "snapshots", "%09d.safetensors" % model.step), "rb") as f:
        tensors = loads(f.read())[0]
    params = {name: torch.from_numpy(tensors[name].astype(np.float64)) for name in ref.param_names(cfg)}
    tokens = run.eval_tokens()[:n, :-1]

    start = time.perf_counter()
    logits, cache = model.run_with_cache(tokens)
    seconds = time.perf_counter() - start
    theirs = {}
    with torch.no_grad():
        theirs["hook_logits"] = ref.forward(cfg, params, torch.from_numpy(tokens.astype(np.int64)), theirs)
    for l in range(cfg.n_layers - 1):
        theirs[f"blocks.{l}.hook_resid_post"] = theirs[f"blocks.{l + 1}.hook_resid_pre"]

    rows = []
    for name in cache.keys():
        if name in theirs:
            ours = cache[name]
            rows.append((name, float(np.abs(ours - theirs[name].numpy()).max()), float(np.abs(ours).max())))
    pattern = cache[f"blocks.{cfg.n_layers - 1}.attn.hook_pattern"] if cfg.n_layers else None
    print(json.dumps({
        "run": run.name, "step": model.step, "tokens": list(tokens.shape), "seconds": round(seconds, 3),
        "max_abs_diff": {name: diff for name, diff, _ in rows},
        "max_abs_value": {name: value for name, _, value in rows},
        "pattern_row_sum_max_error": None if pattern is None else float(np.abs(pattern.sum(-1) - 1).max()),
        "pattern_above_diagonal_max": None if pattern is None else float(np.triu(pattern, 1).max()),
    }, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 16, sys.argv[3] if len(sys.argv) > 3 else "last")
