"""Convert a Hugging Face folder's pytorch_model.bin into model.safetensors beside it, the form
`circuitscope import` reads (docs/import.md).

    python3 -m circuitscope.convert DIR

Each tensor keeps its dtype (F32, F16, BF16; masks and other buffers too). torch.load runs with
weights_only, so the pickle cannot run code. The file appears under its name only when complete.
"""
import json
import os
import struct
import sys

import torch

_TAGS = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
         torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
         torch.bool: "BOOL"}
# Reinterpreting each element as an integer of its width gives its little-endian bytes through numpy,
# which knows no bfloat16.
_SAME_WIDTH = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def safetensors_bytes(tensors):
    header = {"__metadata__": {"format": "pt"}}
    chunks, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype not in _TAGS:
            raise SystemExit(f"circuitscope.convert: tensor {name} has dtype {t.dtype}, which safetensors cannot hold")
        raw = t.view(_SAME_WIDTH[t.element_size()]).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _TAGS[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def convert(folder):
    source = os.path.join(folder, "pytorch_model.bin")
    if not os.path.isfile(source):
        raise SystemExit(f"circuitscope.convert: {source} does not exist")
    state = torch.load(source, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SystemExit(f"circuitscope.convert: {source} is not a state dict of tensors")
    dest = os.path.join(folder, "model.safetensors")
    tmp = f"{dest}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(safetensors_bytes(state))
    os.replace(tmp, dest)
    return dest, len(state)


def main(argv):
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    dest, n = convert(argv[0])
    print(f"circuitscope.convert: {n} tensors -> {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
