"""Tiny runs trained once per test session with the built binary (about a second each)."""
import os
import random
import subprocess
import sys

import pytest

BINARY = os.environ.get("CIRCUITSCOPE_BINARY", "")
# The independent PyTorch model; appended so that `import circuitscope` finds the built package.
sys.path.append(os.environ.get("CIRCUITSCOPE_REF_DIR", os.path.join(os.path.dirname(__file__), "../../python")))

# Model variants: the default (shortformer positions, no LayerNorm) and the other modes.
VARIANTS = {
    "shortformer": [],
    "standard-LN": ["--positions", "standard", "--normalization", "LN"],
    "rotary-LNPre": ["--positions", "rotary", "--normalization", "LNPre"],
    # MLP blocks: sequential with biases, and parallel with partial rotary.
    "mlp-gelu-LN": ["--d-mlp", "32", "--act-fn", "gelu", "--positions", "standard", "--normalization", "LN",
                    "--biases"],
    "mlp-parallel-rotary": ["--d-mlp", "24", "--act-fn", "gelu_new", "--parallel-attn-mlp", "--positions",
                            "rotary", "--rotary-dim", "4", "--normalization", "LNPre"],
}


def _corpus() -> str:
    """120 documents of random words, some said twice, separated by form-feed lines."""
    rng = random.Random(5)
    docs = []
    for _ in range(120):
        words = []
        while len(" ".join(words)) < 150:
            w = "".join(chr(ord("a") + rng.randrange(20)) for _ in range(2 + rng.randrange(5)))
            words += [w, w] if rng.randrange(3) == 0 else [w]
        docs.append(" ".join(words))
    return "\n\f\n".join(docs)


def _train(root, name, extra):
    if not BINARY:
        pytest.skip("CIRCUITSCOPE_BINARY is not set (ctest sets it)")
    corpus = root / "corpus.txt"
    if not corpus.exists():
        corpus.write_text(_corpus())
    out = root / name
    cmd = [BINARY, "train", "--corpus", str(corpus), "--bytes", "--out", str(out), "--n-layers", "2",
           "--n-heads", "2", "--d-model", "16", "--d-head", "8", "--n-ctx", "64", "--batch", "4",
           "--steps", "20", "--snapshots", "5", "--eval-count", "16", "--eval-fraction", "0.25",
           "--threads", "1"] + extra
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    return out


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def run_dir(runs_root):
    """The default variant."""
    return _train(runs_root, "shortformer", VARIANTS["shortformer"])


@pytest.fixture(scope="session", params=list(VARIANTS))
def variant_run_dir(request, runs_root, run_dir):
    if request.param == "shortformer":
        return run_dir
    return _train(runs_root, request.param, VARIANTS[request.param])
