"""Hook points and hook functions, as TransformerLens's run_with_hooks takes them.

A hook is ``fn(activation, hook)``: ``activation`` is a numpy array in TransformerLens's shape, with
the batch axis; ``hook.name`` and ``hook.layer()`` say where it is. The hook may change the array in
place or return a replacement of the same shape; the pass goes on from what it leaves. Several hooks
on one point run in the order given, each seeing what the one before left. The points that may only
be read (``hook.replaceable`` is False: shortformer position embeddings and hook_logits) hand out
read-only arrays, and a replacement returned there is an error.
"""
import numpy as np

from ._circuitscope import Error

# TransformerLens's short names for get_act_name: ("pattern", 1) -> blocks.1.attn.hook_pattern.
_GLOBAL = {"embed": "hook_embed", "pos_embed": "hook_pos_embed", "ln_final": "ln_final.hook_normalized"}
_BLOCK = {
    "resid_pre": "hook_resid_pre", "resid_mid": "hook_resid_mid", "resid_post": "hook_resid_post",
    "attn_out": "hook_attn_out", "mlp_out": "hook_mlp_out",
    "q": "attn.hook_q", "k": "attn.hook_k", "v": "attn.hook_v", "z": "attn.hook_z",
    "rot_q": "attn.hook_rot_q", "rot_k": "attn.hook_rot_k", "result": "attn.hook_result",
    "pattern": "attn.hook_pattern", "attn": "attn.hook_pattern", "attn_scores": "attn.hook_attn_scores",
    "pre": "mlp.hook_pre", "post": "mlp.hook_post", "ln1": "ln1.hook_normalized", "ln2": "ln2.hook_normalized",
}


def get_act_name(name, layer=None):
    """A hook point's full name from TransformerLens's short one: get_act_name("pattern", 1)."""
    if name in _GLOBAL:
        return _GLOBAL[name]
    if name in _BLOCK:
        if layer is None:
            raise ValueError(f"'{name}' needs a layer")
        return f"blocks.{int(layer)}.{_BLOCK[name]}"
    return name if layer is None else f"blocks.{int(layer)}.{name}"


def name_filter(spec):
    """A predicate on hook names from a name, a list of names, a predicate, or None (every name)."""
    if spec is None:
        return lambda name: True
    if isinstance(spec, str):
        return lambda name: name == spec
    if callable(spec):
        return spec
    names = set(spec)
    return lambda name: name in names


class HookCalls:
    """The hook functions of one pass: which points they want, and calling them in order."""

    def __init__(self, fwd_hooks, known_names):
        self._pairs = []
        for spec, fn in fwd_hooks:
            if isinstance(spec, str) and spec not in known_names:
                raise KeyError(f"no hook point named '{spec}' in this model")
            if not callable(fn):
                raise TypeError(f"the hook for {spec!r} is not callable")
            self._pairs.append((name_filter(spec), fn))

    def wants(self, name):
        return any(f(name) for f, _ in self._pairs)

    def __call__(self, point, activation):
        for wants, fn in self._pairs:
            if not wants(point.name):
                continue
            try:
                out = fn(activation, point)
            except ValueError as e:
                if not point.replaceable and "read-only" in str(e):
                    raise Error(f"{point.name} can only be read: a hook cannot change it") from e
                raise
            if out is None or out is activation:
                continue
            if not point.replaceable:
                raise Error(f"{point.name} can only be read: a hook cannot replace it")
            out = np.asarray(out, dtype=np.float32)
            if out.shape != activation.shape:
                raise ValueError(f"the hook on {point.name} returned shape {out.shape}, the activation's is "
                                 f"{activation.shape}")
            activation = out
        return activation
