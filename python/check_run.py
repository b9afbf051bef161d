#!/usr/bin/env python3
"""Opens a circuitscope run folder with numpy alone (safetensors header + .npy) and recomputes the
evaluation loss of its last snapshot with the independent PyTorch model.

    /usr/bin/python3 python/check_run.py RUN_DIR

Prints one JSON object: the snapshot's tensor names and shapes, the config's expected shapes,
and the largest difference between the recomputed per-token loss and eval/per_token_loss.npy.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from circuitscope_ref import model as ref  # noqa: E402
from circuitscope_ref.safetensors_io import loads  # noqa: E402


def main(run_dir: str) -> None:
    with open(os.path.join(run_dir, "config.json")) as f:
        config = json.load(f)
    m = config["model"]
    cfg = ref.Config.from_run_config(m)
    with open(os.path.join(run_dir, "eval", "snapshots.json")) as f:
        steps = json.load(f)["steps"]
    path = os.path.join(run_dir, "snapshots", "%09d.safetensors" % steps[-1])
    with open(path, "rb") as f:
        tensors, metadata = loads(f.read())
    params = {name: torch.from_numpy(tensors[name].astype(np.float64)) for name in ref.param_names(cfg)}
    tokens = torch.from_numpy(np.load(os.path.join(run_dir, "eval", "tokens.npy")).astype(np.int64))
    torch.set_default_dtype(torch.float64)
    with torch.no_grad():
        _, per_token, _ = ref.loss_fn(cfg, params, tokens)
    recomputed = per_token.mean(dim=0).numpy()
    stored = np.load(os.path.join(run_dir, "eval", "per_token_loss.npy"))[-1]
    print(json.dumps({
        "snapshot": os.path.basename(path),
        "metadata": metadata,
        "shapes": {k: list(v.shape) for k, v in tensors.items()},
        "expected_shapes": {k: list(ref.param_shape(cfg, k)) for k in ref.param_names(cfg)},
        "max_abs_loss_diff": float(np.max(np.abs(recomputed - stored))),
        "mean_loss": float(stored.mean()),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
