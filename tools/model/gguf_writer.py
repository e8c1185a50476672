"""Minimal GGUF v3 writer (the subset llama.cpp needs for a llama-architecture model).

Written here because gguf-py is neither on Debian nor reachable (no PyPI). Layout: header, metadata
key/values, tensor infos, then tensor data, each tensor aligned to `general.alignment` (32) bytes.
Tensor dims are written innermost first (ggml `ne0` = row length), so a torch [out, in] weight becomes
ne = [in, out] with its row-major bytes unchanged.
"""
import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
ALIGN = 32

T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, T_UINT64, T_INT64, T_FLOAT64 = range(13)
GGML_F32, GGML_F16 = 0, 1


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _scalar(vtype, v):
    fmt = {T_UINT8: "<B", T_INT8: "<b", T_UINT16: "<H", T_INT16: "<h", T_UINT32: "<I", T_INT32: "<i",
           T_FLOAT32: "<f", T_BOOL: "<?", T_UINT64: "<Q", T_INT64: "<q", T_FLOAT64: "<d"}[vtype]
    return struct.pack(fmt, v)


class GGUFWriter:
    def __init__(self):
        self.kv = []  # (key, bytes of type+value)
        self.tensors = []  # (name, np.ndarray, ggml_type)

    def add(self, key, vtype, value):
        if vtype == T_STRING:
            payload = _str(value)
        else:
            payload = _scalar(vtype, value)
        self.kv.append((key, struct.pack("<I", vtype) + payload))

    def add_array(self, key, vtype, values):
        body = struct.pack("<IQ", vtype, len(values))
        body += b"".join(_str(v) if vtype == T_STRING else _scalar(vtype, v) for v in values)
        self.kv.append((key, struct.pack("<I", T_ARRAY) + body))

    def add_tensor(self, name, array, ggml_type):
        dtype = np.float32 if ggml_type == GGML_F32 else np.float16
        self.tensors.append((name, np.ascontiguousarray(array, dtype=dtype), ggml_type))

    def write(self, path):
        out = bytearray()
        out += GGUF_MAGIC + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv) + 1)
        out += _str("general.alignment") + struct.pack("<I", T_UINT32) + struct.pack("<I", ALIGN)
        for key, payload in self.kv:
            out += _str(key) + payload
        offset = 0
        for name, arr, gtype in self.tensors:
            dims = list(reversed(arr.shape))
            out += _str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
            out += struct.pack("<IQ", gtype, offset)
            offset += arr.nbytes
            offset += (-offset) % ALIGN
        out += b"\0" * ((-len(out)) % ALIGN)
        for _, arr, _ in self.tensors:
            out += arr.tobytes()
            out += b"\0" * ((-len(out)) % ALIGN)
        with open(path, "wb") as f:
            f.write(out)
