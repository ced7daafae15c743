# Regenerates the .npy fixtures of org.elu4j.cli.npy's tests with real NumPy.
# Run from this folder:  /usr/bin/python3 make_fixtures.py   (Debian's python3-numpy, 1.24.2)
# See README.md for what each file holds.
import hashlib
import io
import warnings

import numpy as np
from numpy.lib import format as npf


def save(name, a):
    np.save(name, a, allow_pickle=False)


def write_version(name, a, version):
    with open(name, "wb") as f:
        npf.write_array(f, a, version=version, allow_pickle=False)


base = np.arange(6, dtype="<f4").reshape(2, 3) - 2.5

save("f4_2x3.npy", base)
save("f4_scalar.npy", np.array(3.25, dtype="<f4"))
save("f4_empty.npy", np.zeros((0,), dtype="<f4"))
save("f4_2x0x3.npy", np.zeros((2, 0, 3), dtype="<f4"))
save("f4_1000.npy", np.arange(1000, dtype="<f4") / 8)
save("f4_special.npy", np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4028235e38, -1.0], dtype="<f4"))
write_version("f4_v2.npy", base, (2, 0))
write_version("f4_v3.npy", base, (3, 0))
save("f4_big_endian.npy", base.astype(">f4"))
save("f8_2x3.npy", base.astype("<f8"))
save("f4_fortran.npy", np.asfortranarray(base))
save("i4_2x3.npy", np.arange(6, dtype="<i4").reshape(2, 3))

with open("f4_2x3.npy", "rb") as f:
    full = f.read()
with open("f4_truncated.npy", "wb") as f:
    f.write(full[:-4])          # last element cut off: 20 of 24 data bytes
with open("f4_trailing.npy", "wb") as f:
    f.write(full + b"\0\0\0\0")  # 4 extra bytes after the 24 data bytes

# Exact header bytes NumPy writes for a shape, for shapes too big to save as arrays.
# One line per case: fortran<TAB>shape (comma-separated, or 1*N for N ones)<TAB>version-or-auto<TAB>total-length<TAB>sha256<TAB>hex
# (hex left empty when the header is longer than 1024 bytes).
cases = [
    (False, (), None),
    (False, (0,), None),
    (False, (5,), None),
    (False, (2, 3), None),
    (False, (2, 0, 3), None),
    (False, (1, 2, 3, 4, 5, 6, 7, 8), None),
    (False, (123456789012, 7), None),
    (False, (2305843009213693951,), None),        # the most float32 elements a long byte count allows
    (False, (10, 230584300921369395), None),
    (False, (1,) * 32, None),
    (False, (1,) * 64, None),
    (False, (2, 1000000000000000000), None),
    (True, (2, 3), None),
    (True, (12345, 6), None),
    (True, (), None),
    (False, (2, 3), (1, 0)),
    (False, (2, 3), (2, 0)),
    (False, (2, 3), (3, 0)),
    (False, (), (2, 0)),
    (False, (7,), (3, 0)),
    (False, (1,) * 22000, None),   # too long for version 1.0: NumPy switches to 2.0
]
lines = []
for fortran, shape, version in cases:
    d = {"descr": "<f4", "fortran_order": fortran, "shape": shape}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        npf._write_array_header(buf, d, version)
    h = buf.getvalue()
    if len(shape) > 8 and set(shape) == {1}:
        shape_text = "1*%d" % len(shape)   # len(shape) ones
    else:
        shape_text = ",".join(str(x) for x in shape)
    ver = "auto" if version is None else "%d.%d" % version
    lines.append("\t".join([str(fortran), shape_text, ver, str(len(h)),
                            hashlib.sha256(h).hexdigest(),
                            h.hex() if len(h) <= 1024 else ""]))
with open("headers.tsv", "w") as f:
    f.write("\n".join(lines) + "\n")

# ------------------------------------------------------------------------------------------------
# The function family on every dtype (elu4j issue #3): inputs per dtype, and the expected results
# computed here in float64 with np.expm1 / np.exp from the inputs as stored (widened exactly).
# bfloat16 has no NumPy dtype: its bit patterns are the top 16 bits of float32, rounded to nearest
# even from the float32 bits, and stored as '<u2'.


def f32_to_bf16_bits(a):
    """float32 array -> uint16 bfloat16 patterns, round to nearest even (no NaNs here)."""
    b = np.asarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    return rounded.astype("<u2")


def bf16_bits_to_f32(u):
    return (np.asarray(u, dtype="<u2").astype("<u4") << 16).view("<f4")


# Values exact in every type (at most 8 significant bits, within float16's range), then random ones.
fixed = np.array([-np.inf, -16.0, -8.0, -3.5, -2.25, -1.0, -0.75, -0.5, -0.3125, -0.1015625, -2.0**-10,
                  -2.0**-14, -2.0**-20, -0.0, 0.0, 2.0**-20, 0.5, 1.0, 1.5, 3.0, 7.75, 100.0, np.inf],
                 dtype="<f4")
rng = np.random.default_rng(20261201)
rand = (rng.standard_normal(200) * 4).astype("<f4")
x32 = np.concatenate([fixed, rand])
dy32 = (rng.standard_normal(x32.size) * 2).astype("<f4")

typed = {
    "f4": (x32, dy32),
    "f8": (x32.astype("<f8") + rng.standard_normal(x32.size) * 1e-9 * np.isfinite(x32) * (x32 != 0),
           dy32.astype("<f8") + 1e-10),
    "f2": (x32.astype("<f2"), dy32.astype("<f2")),
    "bf16": (f32_to_bf16_bits(x32), f32_to_bf16_bits(dy32)),
}

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# name: (kind, alpha or slope, scale, input scale), in the row order of the fam_fwd_*/fam_bwd_* files
functions = [
    ("elu", "elu", 0.5, 1.0, 1.0),
    ("elu_general", "elu", 1.5, 2.0, 0.75),
    ("selu", "elu", SELU_ALPHA, SELU_SCALE, 1.0),
    ("celu", "elu", 2.0, 1.0, 0.5),
    ("relu", "relu", 0.0, 1.0, 1.0),
    ("leaky_relu", "leaky", 0.01, 1.0, 1.0),
]


def forward(kind, a, scale, s, x):
    with np.errstate(all="ignore"):
        if kind == "elu":
            return np.where(x > 0, scale * x, a * scale * np.expm1(x * s))
        if kind == "relu":
            return np.where(x > 0, x, 0.0)
        return np.where(x > 0, x, a * x)


def backward_from_input(kind, a, scale, s, dy, x):
    with np.errstate(all="ignore"):
        if kind == "elu":
            return dy * np.where(x > 0, scale, a * scale * s * np.exp(x * s))
        if kind == "relu":
            return np.where(x > 0, dy, 0.0)
        return np.where(x > 0, dy, a * dy)


for t, (x, dy) in typed.items():
    save("fam_x_%s.npy" % t, x)
    save("fam_dy_%s.npy" % t, dy)
    x64 = (bf16_bits_to_f32(x) if t == "bf16" else x).astype("<f8")
    dy64 = (bf16_bits_to_f32(dy) if t == "bf16" else dy).astype("<f8")
    save("fam_fwd_%s.npy" % t, np.stack([forward(k, a, sc, s, x64) for _, k, a, sc, s in functions]).astype("<f8"))
    save("fam_bwd_%s.npy" % t,
         np.stack([backward_from_input(k, a, sc, s, dy64, x64) for _, k, a, sc, s in functions]).astype("<f8"))

# Refused dtypes.
save("i1_2x3.npy", np.arange(6, dtype="|i1").reshape(2, 3))
save("u2_2x3.npy", np.arange(6, dtype="<u2").reshape(2, 3))
save("f8_big_endian.npy", base.astype(">f8"))
save("f2_2x3.npy", base.astype("<f2"))
save("bf16_2x3.npy", f32_to_bf16_bits(base))
