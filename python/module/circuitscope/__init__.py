"""circuitscope from Python, with TransformerLens's interface: run folders, snapshots, forward passes
with activation caches and hooks, factored circuits, and the analyses of the command line.

    import circuitscope as cs
    run = cs.open_run("demo/2l")
    model = run.snapshot("last")
    tokens = model.to_tokens("the cat sat. the cat")
    logits, cache = model.run_with_cache(tokens)
    cache["blocks.1.attn.hook_pattern"]               # [batch, n_heads, seq, seq]
    model.run_with_hooks(tokens, fwd_hooks=[("blocks.1.attn.hook_z", fn)], return_type="loss")
    model.OV[1, 6].eigenvalues                        # head 1.6's OV circuit, factored
    cs.heads(model, run).kinds                        # evaluator scores and kinds of every head
    cs.ablate(model, run, heads=[(1, 6)])             # ICL score with head 1.6 zeroed
    run.icl()                                         # the ICL curve and the phase change

Weights (model.params, model.W_Q, ...) and cached activations are views of the library's buffers,
not copies. Failures the library reports raise circuitscope.Error with its one-line message.
"""
import os

from ._circuitscope import Error, HookPoint, Tokenizer, __version__, num_threads, set_num_threads
from .cache import ActivationCache
from .factored import FactoredMatrix
from .hooks import get_act_name
from .model import Config, Model
from .results import AblationResult, CircuitsResult, HeadsResult, IclResult, Result, ablate, circuits, heads
from .run import RunDir

# Tracebacks and reprs name the package, not the extension inside it.
for _type in (Error, HookPoint, Tokenizer):
    _type.__module__ = __name__
del _type


def open_run(path) -> RunDir:
    """The run folder at `path` (a str or os.PathLike); circuitscope.Error when it holds no run."""
    return RunDir(os.fspath(path))


__all__ = ["ActivationCache", "Config", "Error", "FactoredMatrix", "HookPoint", "Model", "RunDir", "Tokenizer",
           "Result", "HeadsResult", "CircuitsResult", "AblationResult", "IclResult", "open_run", "get_act_name",
           "num_threads", "set_num_threads", "heads", "circuits", "ablate", "__version__"]
