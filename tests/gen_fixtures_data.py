#!/usr/bin/python3
"""Fixtures for tests/test_data.c, written by NumPy itself so the C reader is checked against the
reference writer rather than against its own output.

    /usr/bin/python3 tests/gen_fixtures_data.py            writes tests/fixtures/data_*.npy
    /usr/bin/python3 tests/gen_fixtures_data.py FILE.npy   checks that NumPy reads FILE (written
        by lf_npy_write in test_data, kept as $TMPDIR/lftest*/data_rt_f32.npy) as arange(24) in
        shape (2, 3, 4), float32.
"""
import os
import sys

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def save(name, arr, version=None):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)


def main():
    base = np.arange(24).reshape(2, 3, 4)
    save("data_np_f32.npy", (base * 0.5 - 3).astype("<f4"))
    save("data_np_f64.npy", (base * 0.25 + 1e-3).astype("<f8"))
    save("data_np_i32.npy", (base - 12).astype("<i4"))
    save("data_np_i64.npy", (base * 1000003 - 2**40).astype("<i8"))
    save("data_np_u8.npy", (base * 10).astype("u1"))
    save("data_np_scalar.npy", np.array(7.5, dtype="<f4"))
    save("data_np_v2.npy", (base * 0.5 - 3).astype("<f4"), version=(2, 0))
    save("data_np_fortran.npy", np.asfortranarray((base[0] * 0.5 - 3).astype("<f4")))
    save("data_np_bigendian.npy", (base * 0.5 - 3).astype(">f4"))
    save("data_np_f16.npy", (base * 0.5 - 3).astype("<f2"))


def check(path):
    a = np.load(path)
    want = np.arange(24, dtype="<f4").reshape(2, 3, 4)
    assert a.dtype == want.dtype and a.shape == want.shape and (a == want).all(), (a.dtype, a)
    with open(path, "rb") as f:
        assert np.lib.format.read_magic(f) == (1, 0)
        np.lib.format.read_array_header_1_0(f)
        assert f.tell() % 64 == 0, f.tell()
    print("ok:", path, "reads back as NumPy wrote it")


if __name__ == "__main__":
    check(sys.argv[1]) if len(sys.argv) > 1 else main()
