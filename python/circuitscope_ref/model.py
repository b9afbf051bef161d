"""The transformer of docs/definitions.md, written as plainly as possible.

The attention-only model is the one the analyses study. MLP blocks, attention and unembedding
biases, parallel attention+MLP blocks and partial rotary are TransformerLens's options beyond it;
each is off unless the config asks for it.

Parameters live in a dict keyed by TransformerLens state-dict names, with TransformerLens's
shapes, so a file written from it can be compared tensor by tensor with any other
implementation. Clarity wins over speed here: this is the oracle, not the engine.
"""
import json
import math
from dataclasses import dataclass, asdict, fields
from typing import Dict, Optional

import torch

LN_EPS = 1e-5
ROTARY_BASE = 10000.0
ACT_FNS = ("gelu", "gelu_new", "relu")


@dataclass
class Config:
    n_layers: int
    n_heads: int
    d_model: int
    d_head: int
    n_ctx: int
    d_vocab: int
    positional_embedding_type: str = "shortformer"  # "standard" | "shortformer" | "rotary"
    normalization_type: Optional[str] = None  # None | "LNPre" | "LN" (TransformerLens values)
    d_mlp: Optional[int] = None  # None (or 0): attention-only, no MLP blocks
    act_fn: Optional[str] = None  # "gelu" (exact, erf) | "gelu_new" (tanh form) | "relu"; None iff no MLP
    parallel_attn_mlp: bool = False  # attention and MLP both read the block's input
    rotary_dim: Optional[int] = None  # rotary turns the first rotary_dim dims of each head; None: all
    rotary_base: float = ROTARY_BASE
    biases: bool = False  # b_Q, b_K, b_V, b_O, b_U are parameters (the MLP's biases always are)

    def __post_init__(self):
        if self.positional_embedding_type not in ("standard", "shortformer", "rotary"):
            raise ValueError(f"positional_embedding_type: {self.positional_embedding_type!r}")
        if self.normalization_type not in (None, "LNPre", "LN"):
            raise ValueError(f"normalization_type: {self.normalization_type!r}")
        # TransformerLens writes d_mlp null for attention-only models; one spelling in the JSON.
        if not self.d_mlp:
            self.d_mlp = None
        if self.attn_only:
            if self.act_fn is not None or self.parallel_attn_mlp:
                raise ValueError("act_fn and parallel_attn_mlp need MLP blocks (d_mlp > 0)")
        elif self.act_fn not in ACT_FNS:
            raise ValueError(f"act_fn must be one of {', '.join(ACT_FNS)} with MLP blocks, got {self.act_fn!r}")
        # Kept as the effective value, so the JSON states how many dims turn.
        if self.rotary_dim is None:
            self.rotary_dim = self.d_head
        if self.positional_embedding_type == "rotary" and (self.rotary_dim % 2 or not 0 < self.rotary_dim <= self.d_head):
            raise ValueError(f"rotary_dim must be even and at most d_head = {self.d_head}, got {self.rotary_dim}")

    @property
    def attn_only(self) -> bool:
        return self.d_mlp is None

    @classmethod
    def from_run_config(cls, m: dict) -> "Config":
        """From the "model" section of a run's config.json (TransformerLens field names; fields this
        model does not have, such as attn_only and eps, are derived or fixed here)."""
        names = [f.name for f in fields(cls)]
        return cls(**{k: m[k] for k in names if k in m})

    def to_json(self) -> str:
        return json.dumps(dict(asdict(self), attn_only=self.attn_only), sort_keys=True)


def param_names(cfg: Config):
    """Parameter names in a fixed order (the order tensors are written to disk and drawn by
    init_params, so adding a kind of parameter must not move the attention-only ones)."""
    names = ["embed.W_E"]
    if cfg.positional_embedding_type != "rotary":
        names.append("pos_embed.W_pos")
    for l in range(cfg.n_layers):
        if cfg.normalization_type == "LN":
            names += [f"blocks.{l}.ln1.w", f"blocks.{l}.ln1.b"]
        names += [f"blocks.{l}.attn.W_{m}" for m in ("Q", "K", "V", "O")]
        if cfg.biases:
            names += [f"blocks.{l}.attn.b_{m}" for m in ("Q", "K", "V", "O")]
        if not cfg.attn_only:
            if cfg.normalization_type == "LN":
                names += [f"blocks.{l}.ln2.w", f"blocks.{l}.ln2.b"]
            names += [f"blocks.{l}.mlp.{m}" for m in ("W_in", "b_in", "W_out", "b_out")]
    if cfg.normalization_type == "LN":
        names += ["ln_final.w", "ln_final.b"]
    names.append("unembed.W_U")
    if cfg.biases:
        names.append("unembed.b_U")
    return names


def param_shape(cfg: Config, name: str):
    H, D, K, M, V = cfg.n_heads, cfg.d_model, cfg.d_head, cfg.d_mlp, cfg.d_vocab
    return {
        "W_E": (V, D), "W_pos": (cfg.n_ctx, D), "W_U": (D, V), "b_U": (V,),
        "w": (D,), "b": (D,),  # LayerNorm scale and bias
        "W_Q": (H, D, K), "W_K": (H, D, K), "W_V": (H, D, K), "W_O": (H, K, D),
        "b_Q": (H, K), "b_K": (H, K), "b_V": (H, K), "b_O": (D,),
        "W_in": (D, M), "b_in": (M,), "W_out": (M, D), "b_out": (D,),
    }[name.rsplit(".", 1)[1]]


def init_params(cfg: Config, generator: torch.Generator, std: Dict[str, float]) -> Dict[str, torch.Tensor]:
    """Random weights for testing (not a training initialisation).

    `std` maps a weight's name suffix ("W_E", "W_pos", "W_Q", ..., "W_U", "W_in", "W_out") to a
    standard deviation. LayerNorm scales are drawn around 1 and all biases (LayerNorm's `b`,
    `b_Q`, ..., `b_U`) around 0 so that a wrong use of any of them shows.
    """
    params = {}
    for name in param_names(cfg):
        shape = param_shape(cfg, name)
        suffix = name.rsplit(".", 1)[1]
        if suffix == "w":
            t = 1.0 + 0.2 * torch.randn(shape, generator=generator)
        elif suffix == "b" or suffix.startswith("b_"):
            t = 0.1 * torch.randn(shape, generator=generator)
        else:
            t = std[suffix] * torch.randn(shape, generator=generator)
        params[name] = t
    return params


def _normalize(cfg: Config, x: torch.Tensor, w: Optional[torch.Tensor], b: Optional[torch.Tensor]):
    if cfg.normalization_type is None:
        return x
    x = x - x.mean(dim=-1, keepdim=True)
    x = x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + LN_EPS)  # biased variance
    if cfg.normalization_type == "LN":
        x = x * w + b
    return x


def _act(cfg: Config, u: torch.Tensor):
    # Written out rather than taken from torch.nn.functional, so the oracle states the formulas.
    if cfg.act_fn == "gelu":
        return 0.5 * u * (1.0 + torch.erf(u / math.sqrt(2.0)))
    if cfg.act_fn == "gelu_new":
        return 0.5 * u * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (u + 0.044715 * u ** 3)))
    return torch.relu(u)


def rotary_sin_cos(rotary_dim: int, T: int, dtype=None, base: float = ROTARY_BASE):
    """sin, cos of shape [T, rotary_dim] for TransformerLens's default rotary (halves, not pairs):
    pair m turns by position * base^(-2m / rotary_dim)."""
    half = rotary_dim // 2
    i = torch.arange(half, dtype=dtype or torch.get_default_dtype())
    freq = base ** (-2.0 * i / rotary_dim)
    pos = torch.arange(T, dtype=freq.dtype)
    angle = pos[:, None] * freq[None, :]  # [T, half]
    angle = torch.cat([angle, angle], dim=-1)  # both halves of a pair share one angle
    return torch.sin(angle), torch.cos(angle)


def _rotate(x: torch.Tensor, sin: torch.Tensor, cos: torch.Tensor):
    # x: [B, T, H, d_head]. Only the first rotary_dim = sin.shape[-1] dims turn, pairs
    # (i, i + rotary_dim/2) as in GPT-NeoX; the other dims pass through unchanged.
    r = sin.shape[-1]
    x_rot, x_pass = x[..., :r], x[..., r:]
    half = r // 2
    x1, x2 = x_rot[..., :half], x_rot[..., half:]
    rotated_half = torch.cat([-x2, x1], dim=-1)
    turned = x_rot * cos[None, :, None, :] + rotated_half * sin[None, :, None, :]
    return torch.cat([turned, x_pass], dim=-1)


def forward(cfg: Config, params: Dict[str, torch.Tensor], tokens: torch.Tensor, cache: Optional[dict] = None,
            hooks: Optional[dict] = None):
    """tokens [B, T] (T <= n_ctx) -> logits [B, T, d_vocab].

    If `cache` is a dict it is filled with TransformerLens-named activations. `hooks` maps hook names
    to functions of the activation whose result the pass goes on with.
    """
    B, T = tokens.shape
    if T > cfg.n_ctx:
        raise ValueError(f"sequence length {T} exceeds n_ctx {cfg.n_ctx}")
    store = cache if cache is not None else {}

    def point(name, value):
        if hooks and name in hooks:
            value = hooks[name](value)
        store[name] = value
        return value

    x = point("hook_embed", params["embed.W_E"][tokens])  # [B, T, d_model]
    if cfg.positional_embedding_type != "rotary":
        pos = point("hook_pos_embed", params["pos_embed.W_pos"][:T][None].expand(B, T, -1))
        if cfg.positional_embedding_type == "standard":
            x = x + pos
    if cfg.positional_embedding_type == "rotary":
        sin, cos = rotary_sin_cos(cfg.rotary_dim, T, dtype=x.dtype, base=cfg.rotary_base)

    causal = torch.ones(T, T, dtype=torch.bool).tril()  # [query i, key j]: j <= i allowed

    for l in range(cfg.n_layers):
        x = point(f"blocks.{l}.hook_resid_pre", x)
        w = params.get(f"blocks.{l}.ln1.w")
        b = params.get(f"blocks.{l}.ln1.b")
        a = _normalize(cfg, x, w, b)
        if cfg.normalization_type is not None:
            a = point(f"blocks.{l}.ln1.hook_normalized", a)
        qk_in = a + pos if cfg.positional_embedding_type == "shortformer" else a

        W_Q = params[f"blocks.{l}.attn.W_Q"]
        W_K = params[f"blocks.{l}.attn.W_K"]
        W_V = params[f"blocks.{l}.attn.W_V"]
        W_O = params[f"blocks.{l}.attn.W_O"]
        q = torch.einsum("btm,hmd->bthd", qk_in, W_Q)
        k = torch.einsum("btm,hmd->bthd", qk_in, W_K)
        v = torch.einsum("btm,hmd->bthd", a, W_V)
        if cfg.biases:  # after the projection, so shortformer's W_pos goes through W_Q, W_K only
            q = q + params[f"blocks.{l}.attn.b_Q"]
            k = k + params[f"blocks.{l}.attn.b_K"]
            v = v + params[f"blocks.{l}.attn.b_V"]
        q, k, v = (point(f"blocks.{l}.attn.hook_{n}", t) for n, t in (("q", q), ("k", k), ("v", v)))
        if cfg.positional_embedding_type == "rotary":  # after the biases, as GPT-NeoX does
            q = point(f"blocks.{l}.attn.hook_rot_q", _rotate(q, sin, cos))
            k = point(f"blocks.{l}.attn.hook_rot_k", _rotate(k, sin, cos))
        scores = torch.einsum("bihd,bjhd->bhij", q, k) / math.sqrt(cfg.d_head)
        scores = point(f"blocks.{l}.attn.hook_attn_scores", scores.masked_fill(~causal, float("-inf")))
        pattern = point(f"blocks.{l}.attn.hook_pattern", torch.softmax(scores, dim=-1))  # [B, H, i, j]
        z = point(f"blocks.{l}.attn.hook_z", torch.einsum("bhij,bjhd->bihd", pattern, v))
        # Per-head contributions, without b_O.
        result = point(f"blocks.{l}.attn.hook_result", torch.einsum("bihd,hdm->bihm", z, W_O))
        attn_out = result.sum(dim=2)
        if cfg.biases:
            attn_out = attn_out + params[f"blocks.{l}.attn.b_O"]
        attn_out = point(f"blocks.{l}.hook_attn_out", attn_out)

        if cfg.attn_only:
            x = x + attn_out
        else:
            # Sequential blocks: the MLP reads the stream after attention. Parallel blocks: it
            # reads the block's input, as attention does, and both outputs are added at once.
            if cfg.parallel_attn_mlp:
                mlp_in = x
            else:
                mlp_in = point(f"blocks.{l}.hook_resid_mid", x + attn_out)
            a2 = _normalize(cfg, mlp_in, params.get(f"blocks.{l}.ln2.w"), params.get(f"blocks.{l}.ln2.b"))
            if cfg.normalization_type is not None:
                a2 = point(f"blocks.{l}.ln2.hook_normalized", a2)
            pre = torch.einsum("btm,mn->btn", a2, params[f"blocks.{l}.mlp.W_in"]) + params[f"blocks.{l}.mlp.b_in"]
            post = point(f"blocks.{l}.mlp.hook_post", _act(cfg, point(f"blocks.{l}.mlp.hook_pre", pre)))
            mlp_out = torch.einsum("btn,nm->btm", post, params[f"blocks.{l}.mlp.W_out"]) + params[f"blocks.{l}.mlp.b_out"]
            mlp_out = point(f"blocks.{l}.hook_mlp_out", mlp_out)
            x = x + attn_out + mlp_out if cfg.parallel_attn_mlp else mlp_in + mlp_out
        x = point(f"blocks.{l}.hook_resid_post", x)

    x = _normalize(cfg, x, params.get("ln_final.w"), params.get("ln_final.b"))
    if cfg.normalization_type is not None:
        x = point("ln_final.hook_normalized", x)
    logits = torch.einsum("btm,mv->btv", x, params["unembed.W_U"])
    if cfg.biases:
        logits = logits + params["unembed.b_U"]
    store["logits"] = logits
    return logits


def loss_fn(cfg: Config, params: Dict[str, torch.Tensor], tokens: torch.Tensor):
    """tokens [B, T+1] -> (logits [B, T, V], per-token loss in nats [B, T], mean loss [])."""
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    logits = forward(cfg, params, inputs)
    log_probs = torch.log_softmax(logits, dim=-1)
    per_token = -log_probs.gather(-1, targets[..., None].long())[..., 0]
    return logits, per_token, per_token.mean()
