"""ActivationCache: one forward pass's activations under TransformerLens's hook names."""
from .hooks import get_act_name


class ActivationCache:
    """cache["blocks.1.attn.hook_pattern"] or cache["pattern", 1]: [batch, head, query, key].

    Every array keeps the batch axis. The points the pass keeps (the residual stream, q k v, patterns,
    z, MLP activations, logits) are read-only views of the pass's own buffers; the others
    (hook_embed, hook_pos_embed, hook_attn_scores, hook_result, and hook_q/hook_k before rotary) are
    computed from them when first asked for.
    """

    def __init__(self, cache, names):
        self._cache = cache
        self._names = list(names)
        self._known = set(self._names)
        self._computed = {}

    def keys(self):
        return list(self._names)

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __contains__(self, key):
        return self._name(key) in self._known

    def __getitem__(self, key):
        name = self._name(key)
        if name not in self._known:
            raise KeyError(f"'{name}' is not in this cache (cache.keys() lists what is)")
        if name not in self._computed:
            self._computed[name] = self._cache.get(name)
        return self._computed[name]

    def items(self):
        return [(name, self[name]) for name in self._names]

    def values(self):
        return [self[name] for name in self._names]

    @property
    def tokens(self):
        """[batch, seq] int32: the tokens of the pass."""
        return self._cache.tokens

    @staticmethod
    def _name(key):
        return get_act_name(*key) if isinstance(key, tuple) else key

    def __repr__(self):
        b, t = self._cache.tokens.shape
        return f"<circuitscope.ActivationCache {len(self._names)} hooks, {b} x {t} tokens>"
