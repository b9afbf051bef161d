"""Independent PyTorch reference of the attention-only transformer of
docs/definitions.md.

It exists so the C++ engine can be checked against code that shares nothing with it.
"""
from .model import Config, forward, loss_fn, init_params, param_names, param_shape, rotary_sin_cos
from . import safetensors_io
