"""python3 -m circuitscope.convert turns a pytorch_model.bin folder into one `import` reads, with
the same weights as the safetensors the .bin was made from."""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch

from conftest import BINARY

import circuitscope as cs
from circuitscope.convert import safetensors_bytes

HF = os.path.join(os.path.dirname(__file__), "..", "data", "hf")


def _import(folder, out):
    subprocess.run([BINARY, "import", folder, "--out", out], check=True, capture_output=True)
    return cs.open_run(out).snapshot("last").params


def test_converted_bin_imports_like_the_safetensors(tmp_path):
    # A .bin of the fixture's tensors as published (BF16 weights, a bool mask, F32 buffers).
    source = os.path.join(HF, "neox_bf16")
    folder = tmp_path / "bin"
    shutil.copytree(source, folder)
    os.remove(folder / "model.safetensors")
    state = _load_safetensors(os.path.join(source, "model.safetensors"))
    torch.save(state, folder / "pytorch_model.bin")

    refused = subprocess.run([BINARY, "import", str(folder), "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert refused.returncode != 0 and f"python3 -m circuitscope.convert {folder}" in refused.stderr

    subprocess.run([sys.executable, "-m", "circuitscope.convert", str(folder)], check=True, capture_output=True)
    converted = _import(str(folder), str(tmp_path / "converted"))
    original = _import(source, str(tmp_path / "original"))
    assert set(converted) == set(original)
    for name in original:
        np.testing.assert_array_equal(converted[name], original[name], err_msg=name)


def _load_safetensors(path):
    """The committed fixture as torch tensors (dtypes kept), read with the header's offsets."""
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    kinds = {"F32": (torch.float32, torch.int32), "F16": (torch.float16, torch.int16),
             "BF16": (torch.bfloat16, torch.int16), "BOOL": (torch.bool, torch.uint8)}
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype, width = kinds[info["dtype"]]
        raw = torch.frombuffer(bytearray(blob[8 + n + begin:8 + n + end]), dtype=width) if end > begin else torch.empty(0, dtype=width)
        out[name] = raw.view(dtype).reshape(info["shape"]).clone()
    assert safetensors_bytes(out) == blob, "the converter's writer must reproduce the fixture byte for byte"
    return out
