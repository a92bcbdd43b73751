#!/usr/bin/python3
"""Independent safetensors implementation (NumPy only) to cross-check src/io/safetensors.c.

Debian ships no python3-safetensors, so this script implements the format from its spec
(https://github.com/huggingface/safetensors#format): an 8-byte little-endian unsigned header
length N, N bytes of UTF-8 JSON (padded with spaces), then the data section. Each tensor entry is
{"dtype", "shape", "data_offsets": [begin, end]} with offsets relative to the data section; the
tensors must tile the data section exactly; "__metadata__" maps strings to strings.

    /usr/bin/python3 tests/gen_fixtures_io.py
        writes tests/fixtures/io_ref.safetensors (read by tests/test_io.c).
    TMPDIR=/tmp/lfio build-x/test_io && \
    /usr/bin/python3 tests/gen_fixtures_io.py /tmp/lfio/lftest*/io_copy.safetensors
        checks a file written by the C writer (test_io copies io_ref.safetensors through
        lf_st_read + lf_st_write into io_copy.safetensors): strict format checks, then every
        tensor and metadata value against the reference content below.
"""
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "U8": "u1"}

META = {"format": "lossforge-test", "source": "gen_fixtures_io.py", "note": "quote \" and \u00e9"}


def reference_tensors():
    """The content of io_ref.safetensors; test_io.c recomputes the same values."""
    return {
        "a.bytes": np.array([0, 1, 127, 128, 255], dtype=np.uint8),
        "b.weight": (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1).astype(np.float32),
        "c.f64": np.array([np.pi, np.e, -1e300, 5e-324], dtype=np.float64),
        "d.i32": np.array([[-7], [0], [2147483647]], dtype=np.int32),
        "e.i64": np.array([-(2**62), 2**40 + 3], dtype=np.int64),
        "f.scalar": np.array(42.5, dtype=np.float32),
        "g.empty": np.zeros((0, 3), dtype=np.float32),
        "h.4d": (np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4) - 11.5).astype(np.float32),
    }


def dtype_name(a):
    for name, code in DTYPES.items():
        if np.dtype(code) == a.dtype.newbyteorder("<"):
            return name
    raise ValueError(f"unsupported dtype {a.dtype}")


def write(path, tensors, meta):
    """Data in name order (so the 5-byte U8 tensor misaligns everything after it, which the C
    reader must handle); header keys in reverse name order, so header order != data order."""
    header, chunks, off = {}, [], 0
    for name in sorted(tensors):
        a = tensors[name]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes(order="C")
        header[name] = {"dtype": dtype_name(a), "shape": list(a.shape),
                        "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    ordered = {"__metadata__": meta}
    for name in sorted(header, reverse=True):
        ordered[name] = header[name]
    text = json.dumps(ordered, ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def fail(msg):
    sys.exit(f"FAIL: {msg}")


def read(path):
    """Strict reader: returns (metadata, {name: array}, header key order, raw header bytes)."""
    blob = open(path, "rb").read()
    if len(blob) < 8:
        fail("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        fail(f"header length {n} exceeds file")
    raw = blob[8:8 + n]
    pairs = json.loads(raw.decode("utf-8"), object_pairs_hook=lambda kv: kv)
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        fail("duplicate keys")
    head = dict(pairs)
    data = blob[8 + n:]
    meta = dict(head.pop("__metadata__", []))
    if not all(isinstance(v, str) for v in meta.values()):
        fail("non-string metadata")
    spans, out = [], {}
    for name, e in head.items():
        e = dict(e)
        code = DTYPES[e["dtype"]]
        shape = [int(d) for d in e["shape"]]
        b, end = e["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if count * np.dtype(code).itemsize != end - b or not 0 <= b <= end <= len(data):
            fail(f"{name}: offsets {b},{end} do not match dtype/shape")
        out[name] = np.frombuffer(data[b:end], dtype=code).reshape(shape)
        spans.append((b, end))
    at = 0
    for b, end in sorted(spans):
        if b != at:
            fail(f"offset {b} does not follow {at} (gap or overlap)")
        at = end
    if at != len(data):
        fail(f"tensors cover {at} of {len(data)} data bytes")
    return meta, out, keys, raw


def check_c_file(path):
    meta, got, keys, raw = read(path)
    if len(raw) % 8 or raw.rstrip(b" ") != raw.rstrip() or not raw.rstrip(b" ").endswith(b"}"):
        fail("header not padded with spaces to a multiple of 8")
    if not keys or keys[0] != "__metadata__":
        fail(f"first header key is {keys[:1]}, want __metadata__")
    for name, e in json.loads(raw).items():
        size = np.dtype(DTYPES.get(e.get("dtype"), "u1")).itemsize
        if name != "__metadata__" and (8 + len(raw) + e["data_offsets"][0]) % size:
            fail(f"{name}: not aligned to {size} bytes in the file")
    if meta != META:
        fail(f"metadata {meta} != {META}")
    want = reference_tensors()
    if sorted(got) != sorted(want):
        fail(f"tensor names {sorted(got)} != {sorted(want)}")
    for name, a in want.items():
        b = got[name]
        if b.dtype != a.dtype.newbyteorder("<") or b.shape != a.shape:
            fail(f"{name}: {b.dtype}{b.shape} != {a.dtype}{a.shape}")
        if not np.array_equal(b, a):
            fail(f"{name}: values differ")
    print(f"OK: {path}: {len(got)} tensors, {len(meta)} metadata keys, header {len(raw)} bytes, "
          f"key order {keys}")


def main():
    if len(sys.argv) > 1:
        check_c_file(sys.argv[1])
        return
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                       "io_ref.safetensors")
    write(out, reference_tensors(), META)
    meta, got, _, _ = read(out)
    assert meta == META and all(np.array_equal(got[k], v) for k, v in reference_tensors().items())
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
