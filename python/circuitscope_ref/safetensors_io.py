"""Minimal safetensors reader/writer on numpy, so the oracle needs no extra package.

Format: u64 little-endian header length N, N bytes of JSON, then the raw little-endian data.
"""
import json
import struct
from typing import Dict, Tuple

import numpy as np

_DTYPES = {"F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "I32": np.dtype("<i4"), "I64": np.dtype("<i8")}
_NAMES = {v: k for k, v in _DTYPES.items()}


def dumps(tensors: Dict[str, np.ndarray], metadata: Dict[str, str]) -> bytes:
    """Serialise in the dict's order, widest dtype first, so every tensor stays aligned to its
    element size for readers that map the file and cast in place."""
    order = sorted(tensors, key=lambda n: -np.asarray(tensors[n]).dtype.itemsize)  # stable sort
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    chunks, offset = [], 0
    for name in order:
        arr = np.asarray(tensors[name], order="C")  # keeps 0-d scalars 0-d (ascontiguousarray would not)
        dt = arr.dtype.newbyteorder("<")
        if dt not in _NAMES:
            raise TypeError(f"{name}: unsupported dtype {arr.dtype}")
        raw = arr.astype(dt, copy=False).tobytes()
        header[name] = {"dtype": _NAMES[dt], "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # keeps the data area 8-byte aligned
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def loads(blob: bytes) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype=_DTYPES[info["dtype"]]).reshape(info["shape"]).copy()
    return out, metadata
