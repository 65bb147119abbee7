#!/usr/bin/python3
"""safetensors interop between zengen and an independent reader/writer.

Written from the format's spec with only json, struct and numpy:

  safetensors_interop.py read FILE    checks a file zengen wrote
  safetensors_interop.py write FILE   writes a file for zengen to load

Both sides agree on the content (COMMON below, plus EXTRA for the dtypes
zengen loads by conversion). Exit status: 0 ok, 1 mismatch, 77 when numpy is
missing (CTest reports that as skipped).
"""
import json
import struct
import sys

try:
    import numpy as np
except ImportError:
    print("SKIP: numpy is not installed for " + sys.executable)
    sys.exit(77)


def common():
    """name -> (safetensors dtype, numpy array): what zengen writes and loads."""
    i = np.arange(24)
    return {
        "f32": ("F32", (i * 0.5 - 3).astype("<f4").reshape(2, 3, 4)),
        "f64": ("F64", np.arange(5, dtype="<f8") / 3.0),
        "i64": ("I64", ((np.arange(6, dtype="<i8") - 3) * 10**12).reshape(3, 2)),
        "mask": ("BOOL", np.arange(7) % 3 == 0),
        "scalar": ("F32", np.array(42.5, dtype="<f4")),
        "empty": ("F32", np.zeros((0, 4), dtype="<f4")),
    }


def extra():
    """Dtypes zengen loads by conversion: name -> (dtype, stored array)."""
    bf16 = (np.array([1.0, -0.5, 3.140625], dtype="<f4").view("<u4") >> 16).astype("<u2")
    return {
        "f16": ("F16", np.array([0.0, 1.5, -2.0, 65504.0], dtype="<f2")),
        "bf16": ("BF16", bf16),
        "i8": ("I8", np.array([-128, -1, 0, 127], dtype="i1")),
        "u8": ("U8", np.array([[0, 128, 255]], dtype="u1")),
        "i16": ("I16", np.array([-32768, 7, 32767], dtype="<i2")),
        "u16": ("U16", np.array([0, 65535], dtype="<u2")),
        "i32": ("I32", np.array([-2**31, 5, 2**31 - 1], dtype="<i4")),
        "u32": ("U32", np.array([0, 2**32 - 1], dtype="<u4")),
        "u64": ("U64", np.array([0, 2**63 - 1], dtype="<u8")),
    }


NUMPY_DTYPE = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "BOOL": "?"}
METADATA_FROM_ZENGEN = {"format": "pt", "producer": "zengen"}
METADATA_FROM_NUMPY = {"producer": "numpy", "note": "written by safetensors_interop.py"}


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        fail("duplicate keys in the JSON header: %r" % keys)
    return dict(pairs)


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", blob[:8])
    if n % 8 != 0:
        fail("header length %d is not a multiple of 8" % n)
    raw = blob[8:8 + n]
    if len(raw) != n or not raw.startswith(b"{"):
        fail("header does not start with '{' or is cut short")
    if raw.rstrip(b" ")[-1:] != b"}":
        fail("header padding is not spaces after the JSON object: %r" % raw[-16:])
    header = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates)
    buffer = blob[8 + n:]

    metadata = header.pop("__metadata__", None)
    if metadata != METADATA_FROM_ZENGEN:
        fail("metadata %r, expected %r" % (metadata, METADATA_FROM_ZENGEN))
    expected = common()
    if set(header) != set(expected):
        fail("tensor names %s, expected %s" % (sorted(header), sorted(expected)))

    spans = []
    for name, (dtype, want) in expected.items():
        entry = header[name]
        if set(entry) != {"dtype", "shape", "data_offsets"}:
            fail("%s: fields %s" % (name, sorted(entry)))
        if entry["dtype"] != dtype:
            fail("%s: dtype %s, expected %s" % (name, entry["dtype"], dtype))
        if entry["shape"] != list(want.shape):
            fail("%s: shape %s, expected %s" % (name, entry["shape"], list(want.shape)))
        begin, end = entry["data_offsets"]
        spans.append((begin, end, name))
        got = np.frombuffer(buffer[begin:end], dtype=NUMPY_DTYPE[dtype])
        if got.size != want.size:
            fail("%s: %d elements, expected %d" % (name, got.size, want.size))
        got = got.reshape(want.shape)
        if not np.array_equal(got, want):
            fail("%s: values %r, expected %r" % (name, got, want))
    # The spans must tile the buffer: no overlap, no hole, nothing after.
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position or end < begin:
            fail("%s: data_offsets [%d, %d] do not continue at %d" % (name, begin, end, position))
        position = end
    if position != len(buffer):
        fail("the buffer has %d bytes, the tensors cover %d" % (len(buffer), position))
    print("ok: %s holds the %d agreed tensors" % (path, len(expected)))


def write(path):
    tensors = dict(common())
    tensors.update(extra())
    # A layout unlike zengen's: reverse name order, spaces in the JSON.
    header = {"__metadata__": METADATA_FROM_NUMPY}
    chunks = []
    offset = 0
    for name in sorted(tensors, reverse=True):
        dtype, array = tensors[name]
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in chunks:
            f.write(data)
    print("ok: wrote %s (%d tensors)" % (path, len(tensors)))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        print(__doc__)
        sys.exit(2)
    (read if sys.argv[1] == "read" else write)(sys.argv[2])
