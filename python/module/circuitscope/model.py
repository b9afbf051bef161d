"""Model: one snapshot's weights with TransformerLens's HookedTransformer interface.

    model = cs.open_run("demo/2l").snapshot("last")
    tokens = model.to_tokens("the cat sat. the cat")           # [1, seq], BOS first
    logits, cache = model.run_with_cache(tokens)               # cache["pattern", 1]: [1, head, q, k]
    def zero_head(z, hook): z[:, :, 6] = 0                     # blocks.1.attn.hook_z: [batch, pos, head, d_head]
    loss = model.run_with_hooks(tokens, fwd_hooks=[("blocks.1.attn.hook_z", zero_head)], return_type="loss")
    model.OV[1, 6].eigenvalues                                 # FactoredMatrix(W_V, W_O) of head 1.6
"""
import numpy as np

from .cache import ActivationCache
from .factored import FactoredMatrix
from .hooks import HookCalls, name_filter

# TransformerLens's weight attributes: the per-layer ones stack every block, [n_layers, ...].
_BLOCK_WEIGHTS = {
    "W_Q": "attn.W_Q", "W_K": "attn.W_K", "W_V": "attn.W_V", "W_O": "attn.W_O",
    "b_Q": "attn.b_Q", "b_K": "attn.b_K", "b_V": "attn.b_V", "b_O": "attn.b_O",
    "W_in": "mlp.W_in", "b_in": "mlp.b_in", "W_out": "mlp.W_out", "b_out": "mlp.b_out",
}
_WEIGHTS = {"W_E": "embed.W_E", "W_pos": "pos_embed.W_pos", "W_U": "unembed.W_U", "b_U": "unembed.b_U"}


class Config:
    """The model's config under TransformerLens's field names: cfg.n_layers (cfg["n_layers"] too)."""

    def __init__(self, fields):
        self.__dict__.update(fields)

    def to_dict(self):
        return dict(self.__dict__)

    def __getitem__(self, key):
        return self.__dict__[key]

    def __contains__(self, key):
        return key in self.__dict__

    def keys(self):
        return self.__dict__.keys()

    def __repr__(self):
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"


class Model:
    """One snapshot: weights as writable numpy views (later passes use what is written), forward
    passes with caches and hooks, tokens to text and back."""

    def __init__(self, weights, run):
        self._m = weights
        self._run = run
        self.cfg = Config(weights.config)

    # -- the snapshot --------------------------------------------------------------------------
    step = property(lambda self: self._m.step, doc="The training step of the snapshot.")
    tokens = property(lambda self: self._m.tokens, doc="Training tokens seen when the snapshot was taken.")
    run_id = property(lambda self: self._m.run_id)

    @property
    def params(self):
        """name -> writable view, TransformerLens's state-dict names and shapes."""
        return self._m.params()

    def state_dict(self):
        return self.params

    @property
    def tokenizer(self):
        return self._run.tokenizer

    def __getattr__(self, name):
        # W_Q ... b_out: [n_layers, ...] views; W_E, W_pos, W_U, b_U: the tensors themselves.
        if name in _BLOCK_WEIGHTS:
            try:
                return self._m.stacked(_BLOCK_WEIGHTS[name])
            except KeyError as e:
                raise AttributeError(f"this model has no {name}: {e.args[0]}") from None
        if name in _WEIGHTS:
            params = self._m.params()
            if _WEIGHTS[name] not in params:
                raise AttributeError(f"this model has no {_WEIGHTS[name]}")
            return params[_WEIGHTS[name]]
        raise AttributeError(f"'Model' object has no attribute '{name}'")

    @property
    def OV(self):
        """FactoredMatrix(W_V, W_O): [n_layers, n_heads, d_model, d_model], as TransformerLens's model.OV."""
        return FactoredMatrix(self.W_V, self.W_O)

    @property
    def QK(self):
        """FactoredMatrix(W_Q, W_K^T): [n_layers, n_heads, d_model, d_model], as TransformerLens's model.QK."""
        return FactoredMatrix(self.W_Q, np.swapaxes(self.W_K, -1, -2))

    # -- text ------------------------------------------------------------------------------------
    def to_tokens(self, text, prepend_bos=True):
        """[batch, seq] int32 from a text or a list of texts of equal token length."""
        texts = [text] if isinstance(text, str) else list(text)
        rows = [self.tokenizer.encode(t, prepend_bos=prepend_bos) for t in texts]
        if len({len(r) for r in rows}) != 1:
            raise ValueError("texts of different token lengths do not make one batch: pass them one at a time")
        return np.stack(rows)

    def to_str_tokens(self, input, prepend_bos=True):
        """The tokens' texts: a list for a text or one sequence, a list of lists for a batch."""
        tokens = self.to_tokens(input, prepend_bos)[0] if isinstance(input, str) else np.asarray(input)
        if tokens.ndim == 2 and tokens.shape[0] != 1:
            return [self.to_str_tokens(row) for row in tokens]
        return [self.tokenizer.decode([int(t)]) for t in tokens.reshape(-1)]

    def to_string(self, tokens):
        """The text of a sequence [seq], or a list of texts of a batch [batch, seq]."""
        tokens = np.asarray(tokens)
        if tokens.ndim == 2:
            return [self.tokenizer.decode(row) for row in tokens]
        return self.tokenizer.decode(tokens)

    def hook_names(self):
        """Every hook point of the model, in the order a pass reaches them."""
        return [p.name for p in self._m.hook_points()]

    # -- passes ----------------------------------------------------------------------------------
    def _tokens(self, input):
        if isinstance(input, str) or (isinstance(input, (list, tuple)) and input and isinstance(input[0], str)):
            return self.to_tokens(input)
        tokens = np.asarray(input)
        return tokens[None] if tokens.ndim == 1 else tokens

    @staticmethod
    def _output(cache, return_type, loss_per_token):
        if return_type is None:
            return None
        if return_type not in ("logits", "loss", "both"):
            raise ValueError(f"return_type must be 'logits', 'loss', 'both' or None, got {return_type!r}")
        logits = cache.logits()
        if return_type == "logits":
            return logits
        per_token = cache.loss_per_token()
        loss = per_token if loss_per_token else float(per_token.mean())
        return loss if return_type == "loss" else (logits, loss)

    def __call__(self, input, return_type="logits", loss_per_token=False):
        """Logits [batch, seq, d_vocab] (a read-only view), the next-token loss, both, or None."""
        return self._output(self._m.forward(self._tokens(input)), return_type, loss_per_token)

    def run(self, tokens):
        """Logits [batch, seq, d_vocab]."""
        return self(tokens)

    def run_with_hooks(self, input, fwd_hooks=(), return_type="logits", loss_per_token=False):
        """A pass with hook functions: fwd_hooks = [(name or name filter, fn(activation, hook)), ...]."""
        calls = HookCalls(fwd_hooks, set(self.hook_names()))
        cache = self._m.forward(self._tokens(input), calls.wants, calls)
        return self._output(cache, return_type, loss_per_token)

    def run_with_cache(self, input, names_filter=None, return_type="logits", loss_per_token=False):
        """(output, cache): the cache holds the points names_filter selects (a name, a list, a predicate)."""
        cache = self._m.forward(self._tokens(input))
        wanted = name_filter(names_filter)
        names = [n for n in cache.names() if wanted(n)]
        return self._output(cache, return_type, loss_per_token), ActivationCache(cache, names)

    def __repr__(self):
        return f"<circuitscope.Model {self._m.run_name} step {self.step}>"
