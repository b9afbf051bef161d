"""circuitscope from Python: run folders, snapshots and activation caches as numpy arrays.

    import circuitscope as cs
    run = cs.open_run("demo/2l")
    model = run.snapshot("last")
    logits, cache = model.run_with_cache(run.tokenizer.encode("the cat sat. the cat", prepend_bos=True))
    cache["blocks.1.attn.hook_pattern"]      # [n_heads, seq, seq]
    cs.heads(model, run)                     # evaluator scores and kinds of every head
    cs.ablate(model, run, heads=[(1, 6)])    # ICL score with head 1.6 zeroed
    run.icl()                                # the ICL curve and the phase change

Weights (model.params) and cached activations are views of the library's buffers, not copies.
Failures the library reports raise circuitscope.Error with its one-line message.
"""
from ._circuitscope import (  # noqa: F401
    ActivationCache,
    Error,
    Model,
    RunDir,
    Tokenizer,
    __version__,
    ablate,
    circuits,
    heads,
    num_threads,
    set_num_threads,
)

# Tracebacks and reprs name the package, not the extension inside it.
for _type in (ActivationCache, Error, Model, RunDir, Tokenizer):
    _type.__module__ = __name__
del _type


def open_run(path) -> RunDir:
    """The run folder at `path` (a str or os.PathLike); circuitscope.Error when it holds no run."""
    import os

    return RunDir(os.fspath(path))


__all__ = ["ActivationCache", "Error", "Model", "RunDir", "Tokenizer", "open_run", "num_threads",
           "set_num_threads", "heads", "circuits", "ablate", "__version__"]
