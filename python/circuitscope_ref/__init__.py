"""Independent PyTorch reference of the transformer of docs/definitions.md (attention-only, plus
TransformerLens's MLP blocks, biases, parallel blocks and partial rotary).

It exists so the C++ engine can be checked against code that shares nothing with it.
"""
from .model import Config, forward, loss_fn, init_params, param_names, param_shape, rotary_sin_cos
from . import safetensors_io
