"""Attention-only transformer of docs/definitions.md, written as plainly as possible.

Parameters live in a dict keyed by TransformerLens state-dict names, with TransformerLens's
shapes, so a file written from it can be compared tensor by tensor with any other
implementation. Clarity wins over speed here: this is the oracle, not the engine.
"""
import json
import math
from dataclasses import dataclass, asdict
from typing import Dict, Optional

import torch

LN_EPS = 1e-5
ROTARY_BASE = 10000.0


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

    def __post_init__(self):
        if self.positional_embedding_type not in ("standard", "shortformer", "rotary"):
            raise ValueError(f"positional_embedding_type: {self.positional_embedding_type!r}")
        if self.normalization_type not in (None, "LNPre", "LN"):
            raise ValueError(f"normalization_type: {self.normalization_type!r}")
        if self.positional_embedding_type == "rotary" and self.d_head % 2:
            raise ValueError("d_head must be even for rotary positions")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def param_names(cfg: Config):
    """Parameter names in a fixed order (the order tensors are written to disk)."""
    names = ["embed.W_E"]
    if cfg.positional_embedding_type != "rotary":
        names.append("pos_embed.W_pos")
    for l in range(cfg.n_layers):
        if cfg.normalization_type == "LN":
            names += [f"blocks.{l}.ln1.w", f"blocks.{l}.ln1.b"]
        names += [f"blocks.{l}.attn.W_{m}" for m in ("Q", "K", "V", "O")]
    if cfg.normalization_type == "LN":
        names += ["ln_final.w", "ln_final.b"]
    names.append("unembed.W_U")
    return names


def param_shape(cfg: Config, name: str):
    if name == "embed.W_E":
        return (cfg.d_vocab, cfg.d_model)
    if name == "pos_embed.W_pos":
        return (cfg.n_ctx, cfg.d_model)
    if name == "unembed.W_U":
        return (cfg.d_model, cfg.d_vocab)
    if name.endswith((".w", ".b")):
        return (cfg.d_model,)
    if name.endswith("W_O"):
        return (cfg.n_heads, cfg.d_head, cfg.d_model)
    return (cfg.n_heads, cfg.d_model, cfg.d_head)


def init_params(cfg: Config, generator: torch.Generator, std: Dict[str, float]) -> Dict[str, torch.Tensor]:
    """Random weights for testing (not a training initialisation).

    `std` maps a name suffix ("W_E", "W_pos", "W_Q", ..., "W_U") to a standard deviation.
    LayerNorm scales are drawn around 1 and biases around 0 so that a wrong use of either shows.
    """
    params = {}
    for name in param_names(cfg):
        shape = param_shape(cfg, name)
        if name.endswith(".w"):
            t = 1.0 + 0.2 * torch.randn(shape, generator=generator)
        elif name.endswith(".b"):
            t = 0.1 * torch.randn(shape, generator=generator)
        else:
            t = std[name.rsplit(".", 1)[1]] * torch.randn(shape, generator=generator)
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


def rotary_sin_cos(d_head: int, T: int, dtype=None):
    """sin, cos of shape [T, d_head] for TransformerLens's default rotary (halves, not pairs)."""
    half = d_head // 2
    i = torch.arange(half, dtype=dtype or torch.get_default_dtype())
    freq = ROTARY_BASE ** (-2.0 * i / d_head)
    pos = torch.arange(T, dtype=freq.dtype)
    angle = pos[:, None] * freq[None, :]  # [T, half]
    angle = torch.cat([angle, angle], dim=-1)  # both halves of a pair share one angle
    return torch.sin(angle), torch.cos(angle)


def _rotate(x: torch.Tensor, sin: torch.Tensor, cos: torch.Tensor):
    # x: [B, T, H, d_head]; pairs are (i, i + d_head/2), GPT-NeoX style.
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    rotated_half = torch.cat([-x2, x1], dim=-1)
    return x * cos[None, :, None, :] + rotated_half * sin[None, :, None, :]


def forward(cfg: Config, params: Dict[str, torch.Tensor], tokens: torch.Tensor, cache: Optional[dict] = None):
    """tokens [B, T] (T <= n_ctx) -> logits [B, T, d_vocab].

    If `cache` is a dict it is filled with TransformerLens-named activations.
    """
    B, T = tokens.shape
    if T > cfg.n_ctx:
        raise ValueError(f"sequence length {T} exceeds n_ctx {cfg.n_ctx}")
    store = cache if cache is not None else {}

    x = params["embed.W_E"][tokens]  # [B, T, d_model]
    store["hook_embed"] = x
    if cfg.positional_embedding_type != "rotary":
        pos = params["pos_embed.W_pos"][:T]  # [T, d_model]
        store["hook_pos_embed"] = pos
        if cfg.positional_embedding_type == "standard":
            x = x + pos[None]
    if cfg.positional_embedding_type == "rotary":
        sin, cos = rotary_sin_cos(cfg.d_head, T, dtype=x.dtype)

    causal = torch.ones(T, T, dtype=torch.bool).tril()  # [query i, key j]: j <= i allowed

    for l in range(cfg.n_layers):
        store[f"blocks.{l}.hook_resid_pre"] = x
        w = params.get(f"blocks.{l}.ln1.w")
        b = params.get(f"blocks.{l}.ln1.b")
        a = _normalize(cfg, x, w, b)
        qk_in = a + pos[None] if cfg.positional_embedding_type == "shortformer" else a

        W_Q = params[f"blocks.{l}.attn.W_Q"]
        W_K = params[f"blocks.{l}.attn.W_K"]
        W_V = params[f"blocks.{l}.attn.W_V"]
        W_O = params[f"blocks.{l}.attn.W_O"]
        q = torch.einsum("btm,hmd->bthd", qk_in, W_Q)
        k = torch.einsum("btm,hmd->bthd", qk_in, W_K)
        v = torch.einsum("btm,hmd->bthd", a, W_V)
        if cfg.positional_embedding_type == "rotary":
            q = _rotate(q, sin, cos)
            k = _rotate(k, sin, cos)
        scores = torch.einsum("bihd,bjhd->bhij", q, k) / math.sqrt(cfg.d_head)
        scores = scores.masked_fill(~causal, float("-inf"))
        pattern = torch.softmax(scores, dim=-1)  # [B, H, i, j]
        z = torch.einsum("bhij,bjhd->bihd", pattern, v)
        result = torch.einsum("bihd,hdm->bihm", z, W_O)  # per-head contribution
        x = x + result.sum(dim=2)

        store.update({
            f"blocks.{l}.attn.hook_q": q, f"blocks.{l}.attn.hook_k": k, f"blocks.{l}.attn.hook_v": v,
            f"blocks.{l}.attn.hook_attn_scores": scores, f"blocks.{l}.attn.hook_pattern": pattern,
            f"blocks.{l}.attn.hook_z": z, f"blocks.{l}.attn.hook_result": result,
        })

    x = _normalize(cfg, x, params.get("ln_final.w"), params.get("ln_final.b"))
    store["ln_final.hook_normalized"] = x
    logits = torch.einsum("btm,mv->btv", x, params["unembed.W_U"])
    store["logits"] = logits
    return logits


def loss_fn(cfg: Config, params: Dict[str, torch.Tensor], tokens: torch.Tensor):
    """tokens [B, T+1] -> (logits [B, T, V], per-token loss in nats [B, T], mean loss [])."""
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    logits = forward(cfg, params, inputs)
    log_probs = torch.log_softmax(logits, dim=-1)
    per_token = -log_probs.gather(-1, targets[..., None].long())[..., 0]
    return logits, per_token, per_token.mean()
